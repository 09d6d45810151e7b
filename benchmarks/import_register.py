"""Import 100,000 plans and 300,000 advice rows from CSV on SQLite and PostgreSQL.

Prints rows per second, peak memory and the time of a bare `csv.reader` parse of the same
files measured in the same run, with the ratio (goal: within 5x, under 500 MB).

    python benchmarks/import_register.py [--plans 100000] [--advice 300000]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--no-postgres]

Each database is imported in a child process so its peak memory (ru_maxrss) is its own.
PostgreSQL gets a scratch database that is created and dropped by this script.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AGENCIES = [
    ("SEND Casework Team", "local_authority"),
    ("Educational Psychology Service", "education"),
    ("Community Paediatrics", "health"),
    ("Children's Social Care", "social_care"),
    ("Oak Primary School", "setting"),
    ("Riverside Academy", "setting"),
    ("Speech and Language Therapy", "health"),
    ("Early Help", "social_care"),
]
ADVICE_AGENCY = {
    "educational_psychology": "Educational Psychology Service",
    "health": "Community Paediatrics",
    "social_care": "Children's Social Care",
    "education_setting": "Oak Primary School",
}
GRADES = ["Inadequate", "Requires improvement", "Good", "Outstanding", "3", "2", ""]


def generate(folder: Path, plans: int, advice: int) -> tuple[Path, Path]:
    """A register and advice log shaped like a case management export (UK dates, blanks)."""
    rng = random.Random(2025)
    start = date(2023, 9, 1)
    plan_path, advice_path = folder / "plans.csv", folder / "advice.csv"
    requested: list[date] = []
    with plan_path.open("w", newline="", encoding="utf-8-sig") as handle:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(["plan_ref", "agency", "nc_year", "plan_kind", "request_date",
                      "issue_date", "setting"])
        for index in range(plans):
            day = start + timedelta(days=rng.randrange(800))
            requested.append(day)
            issued = day + timedelta(days=rng.randrange(100, 200)) if rng.random() < 0.8 else None
            out.writerow([f"EHCP-{index:07d}", "SEND Casework Team", rng.randrange(0, 15),
                          rng.choice(["new", "annual_review"]), day.strftime("%d/%m/%Y"),
                          issued.strftime("%d/%m/%Y") if issued else "",
                          rng.choice(["Oak Primary", "Riverside Academy", ""])])
    with advice_path.open("w", newline="", encoding="utf-8-sig") as handle:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(["advice_ref", "plan_ref", "agency", "advice_type", "requested_date",
                      "received_date", "agency_grade", "exception", "exception_note"])
        types = list(ADVICE_AGENCY)
        for index in range(advice):
            plan = rng.randrange(plans)
            kind = types[index % len(types)]
            day = requested[plan] + timedelta(days=rng.randrange(0, 14))
            received = day + timedelta(days=rng.randrange(20, 70)) if rng.random() < 0.9 else None
            excused = rng.random() < 0.03
            out.writerow([f"ADV-{index:08d}", f"EHCP-{plan:07d}", ADVICE_AGENCY[kind], kind,
                          day.strftime("%d/%m/%Y"),
                          received.strftime("%d/%m/%Y") if received else "",
                          rng.choice(GRADES), "missed_appointment" if excused else "",
                          "Appointment missed twice" if excused else ""])
    return plan_path, advice_path


def bare_parse(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for _row in csv.reader(handle):
                pass
    return time.perf_counter() - started


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(database_url: str, folder: Path) -> None:
    """Set up the schema and agencies, then time the imports; prints one JSON line."""
    from flask_migrate import upgrade

    from qa_app import create_app
    from qa_app.extensions import db
    from qa_app.register.importing import run_import
    from qa_app.register.models import Agency
    from qa_app.standards.operations import load_rubric_directory

    app = create_app({"ENV_NAME": "test", "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(folder / "instance")})
    figures: dict[str, object] = {}
    with app.app_context():
        upgrade()
        load_rubric_directory()
        db.session.add_all(Agency(name=name, type=kind) for name, kind in AGENCIES)
        db.session.commit()
        figures["baseline_mb"] = peak_mb()
        for label, kind, path in (("plans check", "plans", folder / "plans.csv"),
                                  ("plans", "plans", folder / "plans.csv"),
                                  ("advice check", "advice", folder / "advice.csv"),
                                  ("advice", "advice", folder / "advice.csv"),
                                  ("plans again", "plans", folder / "plans.csv"),
                                  ("advice again", "advice", folder / "advice.csv")):
            started = time.perf_counter()
            with path.open("rb") as stream:
                report = run_import(kind, stream, path.name, check_only="check" in label)
            if not report.ok:
                raise SystemExit(f"{label}: {report.sorted_errors()[:5]}")
            db.session.commit()
            figures[label] = {"seconds": time.perf_counter() - started, "rows": report.rows,
                              "created": report.created, "unchanged": report.unchanged}
        figures["peak_mb"] = peak_mb()
        db.engine.dispose()
    print(json.dumps(figures))


def run_child(database_url: str, folder: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", database_url, "--folder", str(folder)],
        capture_output=True, text=True, cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"import failed on {database_url}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def scratch_postgres(server_url: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"ehcp_qa_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def report(name: str, figures: dict, parse_seconds: float) -> None:
    check = figures["plans check"]["seconds"] + figures["advice check"]["seconds"]
    first = figures["plans"]["seconds"] + figures["advice"]["seconds"]
    again = figures["plans again"]["seconds"] + figures["advice again"]["seconds"]
    rows = figures["plans"]["rows"] + figures["advice"]["rows"]
    print(f"\n{name}")
    for label in ("plans check", "advice check", "plans", "advice", "plans again",
                  "advice again"):
        item = figures[label]
        print(f"  {label:<13} {item['rows']:>8,} rows {item['seconds']:7.2f} s "
              f"{item['rows'] / item['seconds']:>10,.0f} rows/s "
              f"(created {item['created']:,}, unchanged {item['unchanged']:,})")
    print(f"  check only    {check:7.2f} s = {check / parse_seconds:4.1f}x the bare parse "
          "(read and check every row, write nothing)")
    print(f"  first import  {first:7.2f} s = {first / parse_seconds:4.1f}x the bare parse "
          f"({rows / first:,.0f} rows/s)")
    print(f"  re-import     {again:7.2f} s = {again / parse_seconds:4.1f}x the bare parse")
    print(f"  peak memory   {figures['peak_mb']:7.0f} MB (process before importing: "
          f"{figures['baseline_mb']:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--advice", type=int, default=300_000)
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.folder))
        return
    with tempfile.TemporaryDirectory(prefix="ehcp-qa-bench-") as tmp:
        folder = Path(tmp)
        paths = generate(folder, args.plans, args.advice)
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1024 / 1024:.1f} MB" for p in paths)
        parse_seconds = min(bare_parse(list(paths)) for _ in range(3))
        print(f"files: {sizes}")
        print(f"bare csv.reader parse of both files: {parse_seconds:.2f} s "
              f"({(args.plans + args.advice) / parse_seconds:,.0f} rows/s), best of 3")
        sqlite = folder / "bench.sqlite3"
        report("SQLite (temp file)", run_child(f"sqlite:///{sqlite}", folder), parse_seconds)
        if not args.no_postgres:
            url, drop = scratch_postgres(args.postgres)
            try:
                report("PostgreSQL (scratch database)", run_child(url, folder), parse_seconds)
            finally:
                drop()


if __name__ == "__main__":
    main()
