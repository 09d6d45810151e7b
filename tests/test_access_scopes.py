"""Each scoped model declares which rows a role sees; the access module finds every one."""

from __future__ import annotations

from flask import Flask

from qa_app.auth.access import SCOPE_METHODS, Scope, criteria_for, scoped_models
from qa_app.auth.models import Role


def names(method: str) -> list[str]:
    return [cls.__name__ for cls in scoped_models(method)]


def test_every_scoped_model_declares_its_own_scope(app: Flask) -> None:
    assert names("lead_sees") == [
        "Advice", "Agency", "AgreementSnapshot", "Audit", "BoardReport",
        "CalibrationGrade", "CalibrationParticipant", "CalibrationReference", "CalibrationRound",
        "CommentaryRequest",
        "FinalGrade", "GradeChallenge", "ImprovementAction",
        "ImprovementNote",
        "Letter", "LetterResponse", "LetterResponseChange", "Plan", "PracticeExample",
        "RateSnapshot", "ReauditMark",
    ]
    assert names("auditor_sees") == ["Advice", "Audit", "CalibrationGrade",
                                     "CalibrationParticipant", "CalibrationReference",
                                     "CalibrationRound", "ImprovementAction",
                                     "ImprovementNote", "Plan", "PracticeExample",
                                     "RateSnapshot"]
    assert names("chair_sees") == ["Audit", "CalibrationGrade", "CalibrationParticipant",
                                   "CalibrationReference", "CalibrationRound",
                                   "GradeChallenge", "PracticeExample"]


def test_managers_and_admins_are_not_filtered(app: Flask) -> None:
    for role in (Role.ADMIN, Role.QI_MANAGER):
        assert role not in SCOPE_METHODS
        assert criteria_for(Scope(str(role), 1, None)) == []


def test_each_role_gets_one_filter_per_declaring_model(app: Flask) -> None:
    assert len(criteria_for(Scope(str(Role.AGENCY_LEAD), 1, None))) == len(names("lead_sees"))
    assert len(criteria_for(Scope(str(Role.AGENCY_LEAD), 1, 7))) == len(names("lead_sees"))
    assert len(criteria_for(Scope(str(Role.AUDITOR), 1, 7))) == 11
    assert len(criteria_for(Scope(str(Role.PANEL_CHAIR), 1, None))) == 7

