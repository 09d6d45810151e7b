"""Form fields shared by several features."""

from __future__ import annotations

from wtforms import DateField


class GovDateField(DateField):
    """GOV.UK's three-box date (day, month, year); empty means no date.

    A partly filled or impossible date gets a message people can act on, naming the field.
    """

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) != 3 or not "".join(valuelist).strip():
            self.data = None
            self.raw_data = None  # the widget needs exactly three boxes to redisplay
            if "".join(valuelist).strip():
                raise ValueError(self.message())
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.message()) from None

    def message(self) -> str:
        return f"Enter {self.label.text.lower()} as a real date, for example 27 3 2026"
