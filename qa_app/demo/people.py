"""The demo partnership's fictional agencies, how well each performs, and its sign-in users."""

from __future__ import annotations

from dataclasses import dataclass

from qa_app.auth.models import Role, User
from qa_app.auth.operations import create_user
from qa_app.extensions import db
from qa_app.register.models import Agency, AgencyType

CASEWORK = "SEND Casework Team"
EP_SERVICE = "Educational Psychology Service"
PAEDIATRICS = "Community Paediatrics (Northgate NHS Trust)"
THERAPIES = "Children's Therapies (Riverside Community Health)"
SOCIAL_CARE = "Children's Social Care"
OAKFIELD = "Oakfield Primary School"
ST_AIDANS = "St Aidan's Church of England Academy"
BROOKSIDE = "Brookside Special School"


@dataclass(frozen=True)
class AgencyProfile:
    """How an agency's work tends to look: share finally graded good or better, and lateness."""

    name: str
    type: AgencyType
    p_good: float
    p_late: float = 0.0
    max_days_late: int = 0
    nc_years: range | None = None


AGENCIES: tuple[AgencyProfile, ...] = (
    AgencyProfile(CASEWORK, AgencyType.LOCAL_AUTHORITY, 0.72),
    AgencyProfile(EP_SERVICE, AgencyType.EDUCATION, 0.86, p_late=0.07, max_days_late=10),
    AgencyProfile(PAEDIATRICS, AgencyType.HEALTH, 0.55, p_late=0.42, max_days_late=45),
    AgencyProfile(THERAPIES, AgencyType.HEALTH, 0.76, p_late=0.15, max_days_late=20),
    AgencyProfile(SOCIAL_CARE, AgencyType.SOCIAL_CARE, 0.66, p_late=0.26, max_days_late=30),
    AgencyProfile(OAKFIELD, AgencyType.SETTING, 0.84, 0.10, 12, nc_years=range(0, 7)),
    AgencyProfile(ST_AIDANS, AgencyType.SETTING, 0.70, 0.14, 15, nc_years=range(7, 12)),
    AgencyProfile(BROOKSIDE, AgencyType.SETTING, 0.72, 0.12, 15, nc_years=range(0, 15)),
)

PROFILES = {profile.name: profile for profile in AGENCIES}


@dataclass(frozen=True)
class DemoUser:
    role: str
    agency_name: str | None
    email: str
    password: str
    display_name: str


def _user(role: Role, slug: str, agency: str | None, display_name: str) -> DemoUser:
    return DemoUser(role.value, agency, f"{slug}@example.org", f"demo-{slug}-2025", display_name)


DEMO_USERS: list[DemoUser] = [
    _user(Role.ADMIN, "admin", None, "Demo administrator"),
    _user(Role.QI_MANAGER, "qi.manager", None, "Demo quality improvement manager"),
    _user(Role.PANEL_CHAIR, "chair.one", None, "Demo panel chair (one)"),
    _user(Role.PANEL_CHAIR, "chair.two", None, "Demo panel chair (two)"),
    _user(Role.AUDITOR, "auditor.casework", CASEWORK, "Demo auditor, casework"),
    _user(Role.AUDITOR, "auditor.ep", EP_SERVICE, "Demo auditor, educational psychology"),
    _user(Role.AUDITOR, "auditor.paediatrics", PAEDIATRICS, "Demo auditor, paediatrics"),
    _user(Role.AUDITOR, "auditor.therapies", THERAPIES, "Demo auditor, therapies"),
    _user(Role.AUDITOR, "auditor.socialcare", SOCIAL_CARE, "Demo auditor, social care"),
    _user(Role.AUDITOR, "auditor.oakfield", OAKFIELD, "Demo auditor, Oakfield SENCo"),
    _user(Role.AGENCY_LEAD, "lead.casework", CASEWORK, "Demo lead, casework"),
    _user(Role.AGENCY_LEAD, "lead.ep", EP_SERVICE, "Demo lead, educational psychology"),
    _user(Role.AGENCY_LEAD, "lead.paediatrics", PAEDIATRICS, "Demo lead, paediatrics"),
    _user(Role.AGENCY_LEAD, "lead.therapies", THERAPIES, "Demo lead, therapies"),
    _user(Role.AGENCY_LEAD, "lead.socialcare", SOCIAL_CARE, "Demo lead, social care"),
    _user(Role.AGENCY_LEAD, "lead.oakfield", OAKFIELD, "Demo lead, Oakfield Primary"),
    _user(Role.AGENCY_LEAD, "lead.staidans", ST_AIDANS, "Demo lead, St Aidan's Academy"),
    _user(Role.AGENCY_LEAD, "lead.brookside", BROOKSIDE, "Demo lead, Brookside Special School"),
]
"""Every agency has a lead, so every letter the demo issues can be answered."""


def create_agencies() -> dict[str, Agency]:
    agencies = {p.name: Agency(name=p.name, type=p.type.value) for p in AGENCIES}
    db.session.add_all(agencies.values())
    db.session.flush()
    return agencies


def create_users() -> dict[str, User]:
    """Through create_user, so demo passwords are hashed and creation is logged like any other."""
    return {
        demo.email: create_user(
            email=demo.email,
            role=demo.role,
            password=demo.password,
            agency_name=demo.agency_name,
            display_name=demo.display_name,
        )
        for demo in DEMO_USERS
    }
