"""Import every model so metadata is complete for migrations and create_all."""

from qa_app.api.models import ApiToken
from qa_app.audit_log import AuditLogEntry
from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.moderation import recorded  # noqa: F401  (fills final grades' recorded columns)
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.audits.panels.models import Panel, PanelMember
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.auth.link_models import AccountLink  # noqa: F401  (emailed links)
from qa_app.auth.models import Role, User, UserSession
from qa_app.auth.second_factor_models import RecoveryCode, SecondFactor
from qa_app.jobs import JobRun
from qa_app.letters.models import Letter, LetterResponse
from qa_app.mail.models import OutboxMessage  # noqa: F401  (the email outbox)
from qa_app.register.models import Advice, Agency, AgencyType, Plan, PlanKind
from qa_app.reporting.models import (
    AggregationRun,
    ImprovementAction,
    RateSnapshot,
    RecalculationRequest,
)
from qa_app.standards.models import RubricVersion

__all__ = [
    "ApiToken", "Advice", "Agency", "AgencyType", "AggregationRun", "Audit", "AuditLogEntry",
    "AuditScore",
    "Cycle", "FinalCriterionGrade", "FinalGrade", "ImprovementAction", "JobRun", "Letter",
    "LetterResponse", "Panel", "PanelMember", "Plan", "PlanKind", "RateSnapshot",
    "RecalculationRequest", "RecoveryCode", "Role", "SecondFactor",
    "RubricVersion", "Sample", "SampleItem", "User", "UserSession",
]
