"""A workbook is judged by its zip directory before it is parsed: one that unpacks too far,
or compresses like no real export does, is refused with a clear reason, costing almost no
memory, and nothing is written."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile

from tests import factories as make
from tests.factories.imports import PLAN_HEADER, counts, run, xlsx_bytes

CASEWORK = "SEND Casework Team"
ROWS = [PLAN_HEADER, ["EHCP-001", CASEWORK, "5", "new", "01/09/2025", "", "Oak Primary"]]


SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')


def listed(name: str, data: bytes) -> bytes:
    """Declare the shared strings part, so that a parser reads it (openpyxl itself writes
    strings inline and declares none)."""
    if name == "[Content_Types].xml" and b"sharedStrings" not in data:
        return data.replace(b"</Types>", STRINGS_TYPE + b"</Types>")
    return data


def with_part(workbook: bytes, name: str, size: int, *, random: bool = False) -> bytes:
    """The workbook with a part of about `size` bytes added, or put in place of the part of
    that name (repetitive shared strings unless `random`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != name:
                data = source.read(item.filename)
                target.writestr(item, listed(item.filename, data) if not random else data)
        with target.open(name, "w", force_zip64=True) as part:
            chunk = b"<si><t>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</t></si>" * 24_000
            part.write(b"" if random else SST)
            written = 0
            while written < size:
                piece = os.urandom(512 * 1024).hex().encode() if random else chunk
                piece = piece[:size - written]
                part.write(piece)
                written += len(piece)
            part.write(b"" if random else b"</sst>")
    return out.getvalue()


def test_a_highly_compressed_part_is_refused_before_parsing(app):
    make.on(app).agency(CASEWORK, "local_authority")
    bomb = with_part(xlsx_bytes(ROWS), "xl/sharedStrings.xml", 60 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        report = run(app, "plans", bomb, name="register.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not report.ok
    reason = report.errors[0].reason
    assert "xl/sharedStrings.xml" in reason and "times its packed size" in reason
    assert "limit is 100" in reason
    assert peak < 5 * 1024 * 1024, f"refusing the file took {peak / 1e6:.1f} MB"
    assert counts(app)["plans"] == 0


def test_a_workbook_unpacking_past_the_limit_is_refused(app, monkeypatch):
    make.on(app).agency(CASEWORK, "local_authority")
    monkeypatch.setitem(app.config, "IMPORT_XLSX_MAX_UNPACKED_BYTES", 1024 * 1024)
    big = with_part(xlsx_bytes(ROWS), "xl/media/padding.bin", 1536 * 1024, random=True)
    report = run(app, "plans", big, name="register.xlsx")
    assert [e.reason for e in report.errors] == [
        "the workbook unpacks to 1.6 MB, more than the limit of 1.0 MB: save it as CSV, or "
        "split it into smaller files"]
    assert counts(app)["plans"] == 0
    monkeypatch.setitem(app.config, "IMPORT_XLSX_MAX_UNPACKED_BYTES", 2 * 1024 * 1024)
    assert run(app, "plans", big, name="register.xlsx").ok


def test_a_damaged_zip_directory_is_a_clear_refusal(app):
    make.on(app).agency(CASEWORK, "local_authority")
    damaged = xlsx_bytes(ROWS)[:-40]
    report = run(app, "plans", damaged, name="register.xlsx")
    assert not report.ok and "cannot be opened" in report.errors[0].reason
