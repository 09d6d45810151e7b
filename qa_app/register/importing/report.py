"""What an import found: every bad row with its reason, or what it created and updated."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LISTED_ERRORS = 10_000


@dataclass(frozen=True, order=True)
class RowError:
    """One problem; `row` is the spreadsheet row (the header is row 1), None for the file."""

    row: int | None
    column: str
    reason: str

    def line(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        column = f"{self.column}: " if self.column else ""
        return f"{where}: {column}{self.reason}"


class ImportFileError(Exception):
    """The file as a whole cannot be imported (format, header, size); nothing was read."""

    def __init__(self, *errors: RowError | str) -> None:
        self.errors = [e if isinstance(e, RowError) else RowError(None, "", e) for e in errors]
        super().__init__("; ".join(error.line() for error in self.errors))


@dataclass
class ImportReport:
    kind: str
    file_name: str
    actor_id: int | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    unlisted_errors: int = 0
    bad_rows: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unlisted_errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.unlisted_errors

    def add(self, row: int | None, column: str, reason: str) -> None:
        if row is not None:
            self.bad_rows.add(row)
        if len(self.errors) >= MAX_LISTED_ERRORS:
            self.unlisted_errors += 1
            return
        self.errors.append(RowError(row, column, reason))

    def add_file_errors(self, exc: ImportFileError) -> None:
        for error in exc.errors:
            self.add(error.row, error.column, error.reason)

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (e.row or 0, e.column, e.reason))

    def summary(self) -> str:
        return (
            f"{self.rows} rows: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )

    def problem_summary(self) -> str:
        problems = _plural(self.error_count, "problem")
        rows = len(self.bad_rows)
        return f"{problems} in {_plural(rows, 'row')}" if rows else problems

    def log_changes(self) -> dict[str, object]:
        """What the audit log keeps about an import: counts and the file name, no row contents."""
        return {
            "kind": self.kind,
            "file": self.file_name,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
