"""Peak memory of importing an XLSX register, and of refusing a decompression bomb.

An XLSX is a zip: a file of about 1 MB can declare hundreds of megabytes of shared strings,
which a parser would hold in memory. The import reads the zip directory first and refuses
such a file before parsing. This prints, each measured in its own child process (so that
ru_maxrss is that case's alone):

- the import of a real register saved as XLSX (check only: every row read and checked);
- the refusal of a bomb whose shared strings unpack to --bomb-mb megabytes;
- with --unguarded, the same bomb with the limits lifted, to show what the check saves.

    python benchmarks/import_xlsx_memory.py [--plans 50000] [--bomb-mb 400] [--unguarded]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ["plan_ref", "agency", "nc_year", "plan_kind", "request_date", "issue_date", "setting"]
SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')


def listed(name: str, data: bytes) -> bytes:
    """Declare the shared strings part, so that a parser reads it (openpyxl itself writes
    strings inline and declares none)."""
    if name == "[Content_Types].xml" and b"sharedStrings" not in data:
        return data.replace(b"</Types>", STRINGS_TYPE + b"</Types>")
    return data


def register(path: Path, plans: int) -> None:
    """A register as a case management system would save it to Excel."""
    from openpyxl import Workbook

    rng = random.Random(2025)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Register")
    sheet.append(HEADER)
    start = date(2023, 9, 1)
    for index in range(plans):
        day = start + timedelta(days=rng.randrange(800))
        sheet.append([f"EHCP-{index:07d}", "SEND Casework Team", rng.randrange(0, 15),
                      rng.choice(["new", "annual_review"]), day,
                      day + timedelta(days=rng.randrange(100, 200)),
                      rng.choice(["Oak Primary", "Riverside Academy", ""])])
    book.save(path)


def bomb(path: Path, unpacked_mb: int) -> None:
    """A one-row workbook whose shared strings unpack to `unpacked_mb` megabytes."""
    from openpyxl import Workbook

    small = path.with_suffix(".small.xlsx")
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["EHCP-1", "SEND Casework Team", 5, "new", "01/09/2025", "", "Oak"])
    book.save(small)
    chunk = b"<si><t>" + b"A" * 64 + b"</t></si>"
    block = chunk * (1024 * 1024 // len(chunk))
    with zipfile.ZipFile(small) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != "xl/sharedStrings.xml":
                target.writestr(item, listed(item.filename, source.read(item.filename)))
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(SST)
            for _ in range(unpacked_mb):
                part.write(block)
            part.write(b"</sst>")
    small.unlink()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: Path, folder: Path, unguarded: bool) -> None:
    from flask_migrate import upgrade

    from qa_app import create_app
    from qa_app.extensions import db
    from qa_app.register.importing import run_import
    from qa_app.register.models import Agency

    settings = {"ENV_NAME": "test", "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                "INSTANCE_PATH": str(folder / "instance")}
    if unguarded:
        settings |= {"IMPORT_XLSX_MAX_UNPACKED_BYTES": 1 << 40, "IMPORT_XLSX_MAX_RATIO": 1 << 20}
    app = create_app(settings)
    with app.app_context():
        upgrade()
        if db.session.query(Agency).count() == 0:
            db.session.add(Agency(name="SEND Casework Team", type="local_authority"))
            db.session.commit()
        before = peak_mb()
        started = time.perf_counter()
        with path.open("rb") as stream:
            report = run_import("plans", stream, path.name, check_only=True)
        seconds = time.perf_counter() - started
        outcome = "imported" if report.ok else report.sorted_errors()[0].reason
        print(json.dumps({"before_mb": before, "peak_mb": peak_mb(), "seconds": seconds,
                          "rows": report.rows, "outcome": outcome}))
        db.engine.dispose()


def measure(path: Path, folder: Path, unguarded: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", str(path), "--folder", str(folder)]
    result = subprocess.run(command + (["--unguarded"] if unguarded else []),
                            capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"the child process failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def show(label: str, path: Path, figures: dict) -> None:
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(part.file_size for part in archive.infolist())
    print(f"\n{label}: {path.stat().st_size / 1024 / 1024:.1f} MB on disk, "
          f"{unpacked / 1024 / 1024:,.0f} MB unpacked")
    print(f"  {figures['seconds']:.2f} s, {figures['rows']:,} rows; peak memory "
          f"{figures['peak_mb']:.0f} MB (process before the import: "
          f"{figures['before_mb']:.0f} MB, so +{figures['peak_mb'] - figures['before_mb']:.0f} MB)")
    print(f"  outcome: {figures['outcome']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=50_000)
    parser.add_argument("--bomb-mb", type=int, default=400)
    parser.add_argument("--unguarded", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), Path(args.folder), args.unguarded)
        return
    with tempfile.TemporaryDirectory(prefix="ehcp-qa-bench-") as tmp:
        folder = Path(tmp)
        real, bad = folder / "register.xlsx", folder / "bomb.xlsx"
        register(real, args.plans)
        bomb(bad, args.bomb_mb)
        show("Register", real, measure(real, folder))
        show("Bomb, refused", bad, measure(bad, folder))
        if args.unguarded:
            show("Bomb, limits lifted", bad, measure(bad, folder, unguarded=True))


if __name__ == "__main__":
    main()
