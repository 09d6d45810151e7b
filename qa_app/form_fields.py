"""Form fields shared by several features, and the cleaning every free-text field gets."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, PasswordField, StringField
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta

from qa_app.text import clean_text


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


def cleaned(value: Any) -> Any:
    """A field filter: text goes through clean_text; no value (None) stays as it is."""
    return clean_text(value) if isinstance(value, str) else value


def is_free_text(field_class: type) -> bool:
    """Text boxes and text areas; a password is compared exactly and a hidden field is the
    service's own value, so neither is touched."""
    return issubclass(field_class, StringField) and not issubclass(
        field_class, (PasswordField, HiddenField))


def _bind_field(meta: DefaultMeta, form: Any, unbound: UnboundField,
                options: dict[str, Any]) -> Any:
    if is_free_text(unbound.field_class) and len(unbound.args) < 3:
        options = {**options, "filters": (cleaned, *unbound.kwargs.get("filters", ()))}
    return DefaultMeta.bind_field(meta, form, unbound, options)


def clean_free_text_in_every_form() -> None:
    """Every form is a FlaskForm: its Meta binds each field, so one hook there cleans the
    text of every text box in the service, including forms built at run time, before any
    validator sees it (WTForms' documented `Meta.bind_field` customisation point)."""
    FlaskForm.Meta.bind_field = _bind_field  # type: ignore[method-assign]
