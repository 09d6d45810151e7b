"""One kind of refusal for every business rule, and one way to show it on a form."""

from __future__ import annotations

from typing import Any


class RuleError(ValueError):
    """A rule refused a change; `field` names the form field at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def show_on_form(form: Any, error: RuleError, field: str | None = None) -> None:
    """Put the refusal beside the field it concerns (the error's own field first), or at
    the top of the form when it concerns no single field."""
    name = error.field or field
    if name is not None and name in form:
        form[name].errors = [*form[name].errors, str(error)]
    else:
        form.form_errors.append(str(error))
