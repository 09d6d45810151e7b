"""Finding a row's agency by name, as the Agencies page and `ehcp-qa agencies add` compare
names (any capitals, any spacing), and refusing rows that would give an inactive agency a
plan or advice it does not already have.

A row about a plan or advice the inactive agency already holds is accepted: re-importing the
whole register after an agency is deactivated must not fail on its past work.
"""

from __future__ import annotations

from sqlalchemy import Table, select

from qa_app.extensions import db
from qa_app.register.importing.bulk import rows_by_key
from qa_app.register.importing.columnar import Chunk
from qa_app.register.importing.values import ValueProblem, text
from qa_app.register.models import Agency
from qa_app.register.operations import agency_name_key


class AgencyNames:
    """Agency ids by name: the exact name first, then the name in any capitals and spacing.
    Two agencies whose names differ only so (kept from before such names were refused) are
    told apart by the exact name alone."""

    def __init__(self) -> None:
        rows = db.session.execute(select(Agency.id, Agency.name, Agency.active)).all()
        self.ids = {name: agency_id for agency_id, name, _ in rows}
        self.names = {agency_id: name for agency_id, name, _ in rows}
        self.inactive = {agency_id for agency_id, _, active in rows if not active}
        self._loose: dict[str, list[str]] = {}
        for name in sorted(self.ids):
            self._loose.setdefault(agency_name_key(name), []).append(name)

    def __call__(self, cell: object) -> int:
        raw = text(cell)  # type: ignore[arg-type]
        found = self.ids.get(raw)
        if found is not None:
            return found
        if not raw:
            raise ValueProblem("agency is required (the agency's name as listed under Agencies)")
        near = self._loose.get(agency_name_key(raw), [])
        if len(near) > 1:
            listed = " or ".join(repr(name) for name in near)
            raise ValueProblem(f"agency {raw!r} could be {listed}: write the name exactly as "
                               "listed under Agencies")
        if not near:
            raise ValueProblem(f"unknown agency {raw!r} (add it under Agencies first)")
        return self.ids[near[0]]

    def refuse_inactive(self, chunk: Chunk, agency_ids: list[int | None], refs: list[str],
                        table: Table) -> None:
        """Report each row of the chunk naming an inactive agency for a reference that agency
        does not hold already (a new one, or one moving to it)."""
        flagged = [(i, agency_id) for i, agency_id in enumerate(agency_ids)
                   if agency_id is not None and agency_id in self.inactive]
        if not flagged:
            return
        held = rows_by_key(table, "ref", ["agency_id"], {refs[i] for i, _ in flagged if refs[i]})
        for i, agency_id in flagged:
            if held.get(refs[i], (None,))[0] != agency_id:
                chunk.fail(i, "agency", f"agency {self.names[agency_id]!r} is no longer active; "
                           "reactivate it on the Agencies page or correct the row")
