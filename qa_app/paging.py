"""What the shared pagination macro (templates/_pagination.html) reads from a page of rows
that was not cut by Flask-SQLAlchemy's `paginate`."""

from __future__ import annotations


class PageLinks:
    """Mixed into a frozen dataclass that has `page` and `pages`."""

    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
