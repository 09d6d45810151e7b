"""Response due dates in English working days: weekends and bank holidays do not count."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


@lru_cache(maxsize=1)
def english_bank_holidays() -> frozenset[date]:
    """England and Wales bank holidays from the data bundled with govuk-bank-holidays.

    The bundled copy is used, never the network, so due dates are the same on every machine
    that has the same package version. Years beyond the bundled data count weekends only.
    """
    from govuk_bank_holidays.bank_holidays import BankHolidays

    holidays = BankHolidays(use_cached_holidays=True)
    return frozenset(h["date"] for h in holidays.get_holidays(BankHolidays.ENGLAND_AND_WALES))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in english_bank_holidays()


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (the start day itself never counts)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; negative when `end` is earlier."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
