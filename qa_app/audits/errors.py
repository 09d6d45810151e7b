"""The audits' refusals: each names its sub-feature, and all are rule errors that a page
shows beside the field at fault (`qa_app.rules.show_on_form`) and a command prints."""

from __future__ import annotations

from qa_app.rules import RuleError


class CycleError(RuleError):
    """A cycle change was refused."""


class SamplingError(RuleError):
    """The draw or the sample-size calculation was refused by the sampling rules."""


class SampleError(RuleError):
    """A cycle's sample could not be drawn."""


class PanelError(RuleError):
    """A panel or assignment change that breaks a rule."""


class ScoringError(RuleError):
    """A rule stopped an audit being saved or reopened."""


class ModerationError(RuleError):
    """A final grade that breaks a rule."""
