"""Spreadsheet exports as a header and numbered rows, whatever program saved them.

CSV: UTF-8 with or without a byte-order mark, Windows or Unix line endings, comma, semicolon
or tab separated (chosen from the header line). XLSX: the first worksheet, read streaming.
Row numbers are the ones a spreadsheet shows: the header is row 1, blank rows still count.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time
from typing import IO, Any

from qa_app.register.importing.report import ImportFileError
from qa_app.register.importing.values import Cell, is_blank, text

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""Largest total unpacked size of an XLSX's parts: a 50,000-row register unpacks to about
18 MB, so the largest import allowed (MAX_ROWS) fits well within it."""
MAX_COMPRESSION_RATIO = 100
"""Largest unpacked / packed size of any one part above 1 MB; real sheets stay under ~30."""
_RATIO_FLOOR = 1024 * 1024

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_DELIMITERS = (",", ";", "\t")


@dataclass
class Table:
    """A header (row 1) and an iterator of (row number, cells) for every non-blank row."""

    header: list[str]
    rows: Iterator[tuple[int, list[Cell]]]
    closers: list[Any] = field(default_factory=list)
    text_only: bool = True
    """CSV cells are always text; XLSX cells may be numbers and dates."""

    def close(self) -> None:
        for closer in self.closers:
            closer()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_table(
    stream: IO[bytes], file_name: str, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS,
    max_unpacked: int = MAX_UNPACKED_BYTES, max_ratio: int = MAX_COMPRESSION_RATIO,
) -> Table:
    """Open a CSV or XLSX upload; the format is read from the bytes, not trusted from the name.

    An XLSX workbook is a zip: its directory is read first (see check_zip), so a small file
    that unpacks to gigabytes is refused before any of it is unpacked."""
    size = _size(stream)
    if size == 0:
        raise ImportFileError("the file is empty")
    if size > max_bytes:
        raise ImportFileError(
            f"the file is {size / 1024 / 1024:.1f} MB; the limit is {max_bytes // 1024 // 1024} MB"
            " (split it, or leave out columns the import does not use)"
        )
    start = stream.read(4)
    stream.seek(0)
    if start == _OLE_MAGIC:
        raise ImportFileError(
            "this is an old Excel .xls workbook: save it as .xlsx or as CSV UTF-8 and try again"
        )
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ImportFileError(
            "the file is saved as UTF-16 text: save it as CSV UTF-8 (comma delimited) instead"
        )
    if start == _XLSX_MAGIC:
        check_zip(stream, max_unpacked=max_unpacked, max_ratio=max_ratio)
        return _xlsx_table(stream, max_rows)
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError("the file is named .xlsx but is not an Excel workbook")
    return _csv_table(stream, max_rows)


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _too_many(max_rows: int) -> ImportFileError:
    return ImportFileError(
        f"the file has more than {max_rows:,} rows; split it into smaller files and import each"
    )


def _check_header(header: list[str]) -> list[str]:
    if not any(header):
        raise ImportFileError("row 1 must hold the column names (e.g. plan_ref, agency)")
    while header and not header[-1]:
        header.pop()
    return header


# --- CSV ----------------------------------------------------------------------------------


def _csv_table(stream: IO[bytes], max_rows: int) -> Table:
    wrapper = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = wrapper.readline()
    except UnicodeDecodeError:
        raise _not_utf8(1) from None
    if not first.strip():
        raise ImportFileError("row 1 must hold the column names (e.g. plan_ref, agency)")
    delimiter = max(_DELIMITERS, key=lambda d: (first.count(d), -_DELIMITERS.index(d)))
    reader = csv.reader(itertools.chain([first], wrapper), delimiter=delimiter)
    try:
        header = _check_header([cell.strip() for cell in next(reader)])
    except csv.Error as exc:
        raise ImportFileError(f"row 1 cannot be read as CSV: {exc}") from None
    return Table(header, _csv_rows(reader, len(header), max_rows), [wrapper.detach])


def _not_utf8(row: int) -> ImportFileError:
    return ImportFileError(
        f"the file is not UTF-8 text (from about row {row}): in Excel use Save As > "
        "CSV UTF-8 (comma delimited), or upload the .xlsx workbook"
    )


def _csv_rows(reader: Any, width: int, max_rows: int) -> Iterator[tuple[int, list[Cell]]]:
    number = 1
    limit = max_rows + 1
    try:
        for row in reader:
            number += 1
            if not row or not any(row):
                continue
            if number > limit:
                raise _too_many(max_rows)
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            yield number, row
    except UnicodeDecodeError:
        raise _not_utf8(number + 1) from None
    except csv.Error as exc:
        raise ImportFileError(f"row {number + 1} cannot be read as CSV: {exc}") from None


# --- XLSX ---------------------------------------------------------------------------------


def _megabytes(size: int, *, up: bool = False) -> str:
    """Megabytes to one decimal place; rounded up where a size must read as over a limit."""
    tenths = -(-size * 10 // (1024 * 1024)) if up else size * 10 // (1024 * 1024)
    return f"{tenths / 10:,.1f} MB"


def check_zip(stream: IO[bytes], *, max_unpacked: int = MAX_UNPACKED_BYTES,
              max_ratio: int = MAX_COMPRESSION_RATIO) -> None:
    """Refuse a workbook from its zip directory alone: the sizes it declares are what the
    parser would have to unpack (and a part whose data runs past its declared size fails
    to read rather than growing). Nothing is decompressed here."""
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError("the workbook cannot be opened (it is not a complete .xlsx "
                              "file)") from None
    finally:
        stream.seek(0)
    total = sum(part.file_size for part in parts)
    if total > max_unpacked:
        raise ImportFileError(
            f"the workbook unpacks to {_megabytes(total, up=True)}, more than the limit of "
            f"{_megabytes(max_unpacked)}: save it as CSV, or split it into smaller files"
        )
    for part in parts:
        if part.file_size > _RATIO_FLOOR and part.file_size > max_ratio * max(
                part.compress_size, 1):
            raise ImportFileError(
                f"the workbook's part {part.filename!r} unpacks to "
                f"{part.file_size // max(part.compress_size, 1):,} times its packed size "
                f"(the limit is {max_ratio:,}): a real export does not compress like that, "
                "so it was not opened; save the sheet as CSV and import that instead"
            )


def _xlsx_table(stream: IO[bytes], max_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # a damaged workbook raises zipfile, XML or openpyxl errors
        raise ImportFileError(f"the workbook cannot be opened ({type(exc).__name__})") from None
    if not book.worksheets:
        book.close()
        raise ImportFileError("the workbook has no worksheets")
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        first = next(rows, None)
    except Exception as exc:
        book.close()
        raise ImportFileError(f"the workbook cannot be read ({type(exc).__name__})") from None
    if first is None:
        book.close()
        raise ImportFileError("the first worksheet is empty")
    header = _check_header([text(_xlsx_cell(cell)) for cell in first])
    return Table(header, _xlsx_rows(rows, len(header), max_rows), [book.close], text_only=False)


def _xlsx_cell(value: object) -> Cell:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if value is None or isinstance(value, str | int | float | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(rows: Iterator[tuple[Any, ...]], width: int, max_rows: int
               ) -> Iterator[tuple[int, list[Cell]]]:
    limit = max_rows + 1
    number = 1
    try:
        for number, raw in enumerate(rows, start=2):
            cells = [_xlsx_cell(value) for value in raw]
            if all(map(is_blank, cells)):
                continue
            if number > limit:
                raise _too_many(max_rows)
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            yield number, cells
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet fails part-way with XML or openpyxl errors
        raise ImportFileError(
            f"the workbook cannot be read after row {number} ({type(exc).__name__})"
        ) from None
