"""The kinds of reminder, who gets each, and which a person may turn off.

A reminder that is only a nudge can be turned off; one that says something is already late,
for work the person's role answers for, cannot: the audits an auditor has not finished after
the panel met, an agency's late formal response, and an improvement action past its date.
Invitations and password resets are not reminders and are not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_app.auth.models import Role


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    """What it is, as the preferences page lists it."""
    hint: str
    roles: frozenset[str]
    required: bool = False

    @property
    def template(self) -> str:
        return f"reminder_{self.name}"


def _roles(*roles: Role) -> frozenset[str]:
    return frozenset(str(r) for r in roles)


AUDITS_ASSIGNED = "audits_assigned"
AUDITS_DUE = "audits_due"
AUDITS_OVERDUE = "audits_overdue"
MODERATION_WAITING = "moderation_waiting"
LETTER_ISSUED = "letter_issued"
RESPONSE_DUE = "response_due"
RESPONSE_OVERDUE = "response_overdue"
ACTION_ASSIGNED = "action_assigned"
ACTION_OVERDUE = "action_overdue"
WEEKLY_SUMMARY = "weekly_summary"

ACTION_OWNERS = _roles(Role.AGENCY_LEAD)
"""Improvement actions are owned by agency leads (the owner gets them whatever the role)."""

KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind(AUDITS_ASSIGNED, "New audits assigned to you",
         "When a panel gives you audits to do.", _roles(Role.AUDITOR)),
    Kind(AUDITS_DUE, "Audits due soon",
         "A few days before the panel meets, if your audits are not submitted.",
         _roles(Role.AUDITOR)),
    Kind(AUDITS_OVERDUE, "Audits overdue",
         "After the panel has met, if your audits are still not submitted.",
         _roles(Role.AUDITOR), required=True),
    Kind(MODERATION_WAITING, "Audits waiting for your moderation",
         "When every audit of a subject at a panel you chair is in.",
         _roles(Role.PANEL_CHAIR)),
    Kind(LETTER_ISSUED, "Feedback letter issued to your agency",
         "When a panel chair issues your agency's letter.", _roles(Role.AGENCY_LEAD)),
    Kind(RESPONSE_DUE, "Formal response due soon",
         "In the last working week before your agency's response is due.",
         _roles(Role.AGENCY_LEAD)),
    Kind(RESPONSE_OVERDUE, "Formal response overdue",
         "When your agency's response is past its due date.", _roles(Role.AGENCY_LEAD),
         required=True),
    Kind(ACTION_ASSIGNED, "Improvement action given to you",
         "When the manager makes you the owner of an improvement action.", ACTION_OWNERS),
    Kind(ACTION_OVERDUE, "Improvement action overdue",
         "When an improvement action you own is past its due date.", ACTION_OWNERS,
         required=True),
    Kind(WEEKLY_SUMMARY, "Weekly summary",
         "Once a week, on Monday (or the next day reminders are sent, if none went on Monday): "
         "what is outstanding across the partnership.",
         _roles(Role.QI_MANAGER)),
)}


def kinds_for(role: str) -> list[Kind]:
    return [kind for kind in KINDS.values() if role in kind.roles]


def optional_kinds_for(role: str) -> list[Kind]:
    return [kind for kind in kinds_for(role) if not kind.required]
