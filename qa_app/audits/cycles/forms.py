"""Forms for cycles, the sample draw and the sample-size calculator."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import (
    DecimalField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from qa_app.audits.cycles.operations import NAME_LENGTH, parse_date, uk
from qa_app.audits.cycles.sampling import MAX_SEED
from qa_app.audits.errors import CycleError
from qa_app.rules import show_on_form

DATE_HINT = "For example, 05/01/2026"
CONFIRMED = "yes"


class CycleForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        description="For example, Spring term 2026",
        validators=[DataRequired(message="Enter a name for the cycle"),
                    Length(max=NAME_LENGTH, message=f"The name can be at most {NAME_LENGTH} "
                           "characters")],
    )
    start_date = StringField("Start date", widget=GovTextInput(), description=DATE_HINT)
    end_date = StringField("End date", widget=GovTextInput(), description=DATE_HINT)
    submit = SubmitField("Save cycle", widget=GovSubmitInput())

    def dates(self) -> tuple[date, date] | None:
        """Both dates parsed, or None with the problems put on the fields."""
        parsed: dict[str, date] = {}
        for field, what in ((self.start_date, "start date"), (self.end_date, "end date")):
            try:
                parsed[field.name] = parse_date(field.data, what)
            except CycleError as exc:
                show_on_form(self, exc, field=field.name)
        if len(parsed) < 2:
            return None
        return parsed["start_date"], parsed["end_date"]

    def fill(self, name: str, start: date, end: date) -> None:
        self.name.data, self.start_date.data, self.end_date.data = name, uk(start), uk(end)


YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


class _PlainErrors:
    """A value that cannot be read gets one message, not a second from the range check."""

    process_errors: list[str]

    def pre_validate(self, form: object) -> None:
        if self.process_errors:
            raise StopValidation()


class WholeNumberField(_PlainErrors, IntegerField):
    """An integer field whose parse error names the field in plain words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip().replace(",", ""))
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a whole number, such as "
                             f"{self.default if self.default is not None else 10}") from None


class NumberField(_PlainErrors, DecimalField):
    """A decimal field whose parse error names the field in plain words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata([v.strip().rstrip("%").strip() for v in valuelist])
        except ValueError:
            raise ValueError(f"{self.label.text} must be a number, such as "
                             f"{self.default}") from None


class SampleForm(FlaskForm):
    size = WholeNumberField(
        "Number of plans",
        widget=GovTextInput(),
        description="Use the calculator above to choose it.",
        validators=[InputRequired(message="Enter the number of plans to draw"),
                    NumberRange(min=1, max=100_000, message="Enter a number of plans from 1 to "
                                "100,000")],
    )
    seed = WholeNumberField(
        "Seed",
        widget=GovTextInput(),
        description="The same seed with the same register and settings draws the same sample. "
                    "Keep the one suggested unless you are repeating an earlier draw.",
        validators=[InputRequired(message="Enter a seed (a whole number)"),
                    NumberRange(min=0, max=MAX_SEED, message=f"Enter a seed from 0 to {MAX_SEED}")],
    )
    transition_share = WholeNumberField(
        "Transition-year plans, at least this percentage",
        widget=GovTextInput(),
        description="Plans in the transition years set in targets.yaml. Their share of the "
                    "eligible plans is used instead if it is larger, and all of them are taken "
                    "if there are fewer.",
        default=30,
        validators=[InputRequired(message="Enter the transition-year percentage"),
                    NumberRange(min=0, max=100, message="Enter a percentage from 0 to 100")],
    )
    include_advice = RadioField(
        "Audit each sampled plan's advice too?",
        widget=GovRadioInput(),
        choices=YES_NO,
        default="yes",
        validators=[InputRequired(message="Choose whether to include the advice")],
    )
    min_advice_per_agency = WholeNumberField(
        "Pieces of advice from each agency, at least",
        widget=GovTextInput(),
        description="Every agency with advice among the eligible plans gets at least this many "
                    "pieces in the sample (or all it has). Use 0 to leave this to chance.",
        default=1,
        validators=[InputRequired(message="Enter the advice per agency (0 or more)"),
                    NumberRange(min=0, max=1000, message="Enter a number from 0 to 1,000")],
    )
    exclude_days = WholeNumberField(
        "Skip plans audited in the last (days)",
        widget=GovTextInput(),
        description="Counted back from the cycle's start date.",
        default=365,
        validators=[InputRequired(message="Enter the exclusion window in days"),
                    NumberRange(min=0, max=3660, message="Enter a number of days from 0 to "
                                "3,660")],
    )
    issued_by_end = RadioField(
        "Only plans issued by the cycle's end date?",
        widget=GovRadioInput(),
        choices=YES_NO,
        default="no",
        validators=[InputRequired(message="Choose whether only issued plans are drawn")],
    )
    draw = SubmitField("Draw the sample", widget=GovSubmitInput())
    confirmed = HiddenField()

    def confirmed_on_check_page(self) -> bool:
        return self.confirmed.data == CONFIRMED

    def fill_from(self, parameters: dict[str, Any]) -> None:
        """A redraw starts from the settings of the sample it would replace."""
        if parameters.get("requested_size") is None:
            return
        self.size.data = parameters["requested_size"]
        self.transition_share.data = round(float(parameters["transition_share"]) * 100)
        self.include_advice.data = "yes" if parameters.get("include_advice") else "no"
        self.min_advice_per_agency.data = parameters.get("min_advice_per_agency", 0)
        self.exclude_days.data = parameters.get("exclude_days", self.exclude_days.default)
        self.issued_by_end.data = "yes" if parameters.get("issued_by_end") else "no"

    def settings(self) -> dict[str, object]:
        """The draw's keyword arguments, as `draw_sample` takes them."""
        return {
            "size": self.size.data,
            "seed": self.seed.data,
            "transition_share": self.transition_share.data / 100,
            "include_advice": self.include_advice.data == "yes",
            "min_advice_per_agency": self.min_advice_per_agency.data,
            "exclude_days": self.exclude_days.data,
            "issued_by_end": self.issued_by_end.data == "yes",
        }


class CloseForm(FlaskForm):
    """The check page's button; the hidden answer shows the page was seen before closing.
    It has no default, which a form posted without the field would silently take."""

    confirmed = HiddenField()

    def confirmed_on_check_page(self) -> bool:
        return self.validate_on_submit() and self.confirmed.data == CONFIRMED


class CalculatorForm(Form):
    """Read from the query string (it changes nothing), so a result can be bookmarked."""

    population = WholeNumberField(
        "Eligible plans (population)",
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(min=1, message="Enter a population of at least 1")],
    )
    margin = NumberField(
        "Margin of error (percentage points)",
        widget=GovTextInput(),
        description="10 means the rate will be within ±10 points, 19 times in 20.",
        default=10,
        validators=[InputRequired(message="Enter the margin of error"),
                    NumberRange(min=0.5, max=50, message="Enter a margin from 0.5 to 50 points")],
    )
    proportion = NumberField(
        "Expected rate (%)",
        widget=GovTextInput(),
        description="50 is the safe choice; a recent rate gives a smaller sample.",
        default=50,
        validators=[InputRequired(message="Enter the expected rate"),
                    NumberRange(min=1, max=99, message="Enter an expected rate from 1 to 99")],
    )
    calculate = SubmitField("Calculate", widget=GovSubmitInput())
