"""Forms for the register pages."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from qa_app.inputs import parse_id
from qa_app.register.models import ADVICE_EXCEPTION_LABELS, PLAN_EXCEPTION_LABELS, Agency
from qa_app.register.queries import (
    PLAN_KINDS,
    PLAN_STATUSES,
    YEAR_GROUPS,
    PlanSearch,
    year_group_label,
)
from qa_app.text import clean_text

MAX_REF_SEARCH = 64


def _exception_field(question: str, labels: dict) -> RadioField:
    return RadioField(
        question,
        widget=GovRadioInput(),
        choices=[SelectChoice("", "No exception"),
                 *[SelectChoice(k.value, v) for k, v in labels.items()]],
        default="",
        validate_choice=True,
    )


def _note_field(description: str) -> TextAreaField:
    return TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description=description,
        validators=[Length(max=2000, message="Reason must be 2,000 characters or fewer")],
    )


class _ExceptionForm(FlaskForm):
    """A statutory exception needs its reason written."""

    def validate_exception_note(self, field: TextAreaField) -> None:
        if self.exception.data and not (field.data or "").strip():  # type: ignore[attr-defined]
            raise ValidationError("Give the reason the exception applies")


class AdviceExceptionForm(_ExceptionForm):
    exception = _exception_field("Does a statutory exception to the six-week deadline apply?",
                                 ADVICE_EXCEPTION_LABELS)
    exception_note = _note_field("Why the exception applies. Do not include the child's name.")
    submit = SubmitField("Save exception", widget=GovSubmitInput())


class PlanExceptionForm(_ExceptionForm):
    """The question page and, with `confirmed` set, the check step's confirmation."""

    exception = _exception_field(
        "Does a statutory exception to the 20-week time limit apply?", PLAN_EXCEPTION_LABELS)
    exception_note = _note_field("Why the exception applies, with dates where you have them. "
                                 "Do not include the child's name.")
    confirmed = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class PlanSearchForm(FlaskForm):
    """The register's GET filters. Nothing typed here is refused: a value that is not one of
    the choices (an edited URL) is read as "any", so the page always answers."""

    class Meta:
        csrf = False

    ref = StringField("Reference contains", widget=GovTextInput())
    agency = SelectField("Owning agency", widget=GovSelect(), validate_choice=False)
    year = SelectField("Year group", widget=GovSelect(), validate_choice=False)
    kind = SelectField("Kind", widget=GovSelect(), validate_choice=False)
    status = SelectField("Status", widget=GovSelect(), validate_choice=False)

    def set_choices(self, agencies: Iterable[Agency]) -> None:
        self.agency.choices = [SelectChoice("", "Any agency"),
                               *[SelectChoice(str(a.id), a.name) for a in agencies]]
        self.year.choices = [SelectChoice("", "Any year group"),
                             *[SelectChoice(str(y), year_group_label(y)) for y in YEAR_GROUPS]]
        self.kind.choices = [SelectChoice("", "Any kind"),
                             *[SelectChoice(k, v) for k, v in PLAN_KINDS.items()]]
        self.status.choices = [SelectChoice("", "Any status"),
                               *[SelectChoice(k, v) for k, v in PLAN_STATUSES.items()]]

    def search(self) -> PlanSearch:
        """The filters as checked values; a field holding an unknown value is reset to any."""
        for field in (self.agency, self.year, self.kind, self.status):
            known = {c.value if isinstance(c, SelectChoice) else c[0] for c in field.choices}
            if field.data not in known:
                field.data = ""
        ref = " ".join(clean_text(self.ref.data or "").split())[:MAX_REF_SEARCH]
        self.ref.data = ref
        year = self.year.data
        return PlanSearch(
            ref=ref,
            agency_id=parse_id(self.agency.data),
            nc_year=int(year) if year else None,
            kind=self.kind.data or "",
            status=self.status.data or "",
        )
