"""Assembling a cycle's learning brief from its final grades by criterion, the previous
cycle's, the approved good-practice examples, and the re-audit and challenge outcomes.

Criterion figures are counted exactly as the criterion rates measure counts them
(qa_app/reporting/measures.py): every final criterion grade of the cycle's final grades,
good or better as recorded with it, by the agency recorded on the final grade, plans and
advice apart. The plan standard and the advice standards share some criterion ids (each has
"outcomes"), so a criterion is (scope, id): a plan's outcomes and an advice's outcomes are
never counted as one. Comparisons with the previous cycle follow the targets' small-number
rule: a share counted on fewer than `min_n` criterion grades is too few to compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import false, func, select, true

from qa_app.agencies.queries import TYPE_WORDS
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
from qa_app.board.content import provisional_reasons, rules
from qa_app.extensions import db
from qa_app.learning.document import (
    BelowGood,
    BriefContent,
    Challenges,
    Change,
    Example,
    Reaudit,
    Share,
    TypeGroup,
)
from qa_app.letters.content import letterhead, previous_cycle
from qa_app.letters.document import long_date
from qa_app.letters.readiness import whole_cycle
from qa_app.register.models import Agency
from qa_app.reporting.labels import criterion_in_scope
from qa_app.reporting.measures import IS_PLAN, total
from qa_app.standards.models import RubricVersion
from qa_app.standards.titles import agreed_titles

MOST_OFTEN = 5
"""Criteria listed per agency type: the ones most often below good."""
EXAMPLES_PER_CRITERION = 2


def assemble(cycle: Cycle, today: date) -> BriefContent:
    """What the brief says now, read across the whole cycle whoever asks."""
    with whole_cycle():
        before = previous_cycle(cycle)
        min_n = rules().min_n
        counted = criterion_counts(cycle.id)
        earlier = criterion_counts(before.id) if before else []
        bodies = _bodies({row.version_id for row in [*counted, *earlier]})
        by_type = below_good_by_type(cycle.id, counted, bodies)
        improved, too_few, not_improved = changes(counted, earlier, bodies, min_n) \
            if before else ((), (), 0)
        return BriefContent(
            cycle_id=cycle.id, cycle_name=cycle.name, academic_year=cycle.academic_year,
            partnership=letterhead().name, prepared_on=long_date(today), min_n=min_n,
            previous_cycle_name=before.name if before else None,
            provisional=provisional_reasons(cycle),
            graded=sum(group.graded for group in by_type),
            by_type=by_type, improved=improved, too_few=too_few, not_improved=not_improved,
            examples=examples(graded_standards(counted, by_type, bodies)),
            reaudits=reaudits(cycle.id),
            challenges=challenges(cycle.id),
        )


@dataclass(frozen=True)
class Counted:
    """A cycle's criterion grades of one criterion, standard version and agency type."""

    agency_type: str
    scope: str
    """"plan" or "advice", as the final grade is of a plan or of advice."""
    version_id: int
    criterion_id: str
    n: int
    good: int
    below: int


def criterion_counts(cycle_id: int) -> list[Counted]:
    """The cycle's final criterion grades in one grouped read, from which every part of the
    brief is summed: by agency type, plans or advice, standard version and criterion."""
    fcg = FinalCriterionGrade
    rows = db.session.execute(
        select(Agency.type, IS_PLAN, FinalGrade.rubric_version_id, fcg.criterion_id,
               func.count(), total(fcg.good_or_better == true()),
               total(fcg.good_or_better == false()))
        .select_from(fcg).join(FinalGrade, FinalGrade.id == fcg.final_grade_id)
        .join(Agency, Agency.id == FinalGrade.agency_id)
        .where(FinalGrade.cycle_id == cycle_id)
        .group_by(Agency.type, IS_PLAN, FinalGrade.rubric_version_id, fcg.criterion_id)
    ).all()
    return [Counted(agency_type, _scope(is_plan), version_id, criterion_id, int(n),
                    int(good or 0), int(below or 0))
            for agency_type, is_plan, version_id, criterion_id, n, good, below in rows]


def _scope(is_plan: bool) -> str:
    return "plan" if is_plan else "advice"


def _scoped_title(title: str, scope: str, both: bool) -> str:
    """The criterion's title, naming plans or advice where both are listed together."""
    return criterion_in_scope(title, scope) if both else title


def below_good_by_type(cycle_id: int, counted: list[Counted],
                       bodies: dict[int, dict[str, Any]]) -> tuple[TypeGroup, ...]:
    """Per agency type, the criteria most often graded below good in the cycle."""
    sums: dict[tuple[str, str, str], list[int]] = {}
    versions: dict[tuple[str, str], set[int]] = {}
    for row in counted:
        pair = sums.setdefault((row.agency_type, row.scope, row.criterion_id), [0, 0])
        pair[0] += row.below
        pair[1] += row.n
        versions.setdefault((row.agency_type, row.scope), set()).add(row.version_id)
    titles = {key: agreed_titles(bodies.get(v, {}) for v in sorted(ids))
              for key, ids in versions.items()}
    scopes: dict[str, set[str]] = {}
    for agency_type, scope in versions:
        scopes.setdefault(agency_type, set()).add(scope)
    found: dict[str, list[BelowGood]] = {}
    for (agency_type, scope, criterion_id), (below, n) in sums.items():
        if below:
            title = _title(titles.get((agency_type, scope), {}), criterion_id)
            found.setdefault(agency_type, []).append(BelowGood(
                criterion_id, _scoped_title(title, scope, len(scopes[agency_type]) > 1),
                Share(below, n), scope))
    graded = dict(db.session.execute(
        select(Agency.type, func.count(FinalGrade.id))
        .join(Agency, Agency.id == FinalGrade.agency_id)
        .where(FinalGrade.cycle_id == cycle_id).group_by(Agency.type)
    ).all())
    groups = []
    for agency_type in sorted(graded, key=_type_order):
        listed = sorted(found.get(agency_type, []),
                        key=lambda c: (-c.below.met, -(c.below.exact or 0), c.title))
        groups.append(TypeGroup(agency_type, TYPE_WORDS.get(agency_type, agency_type),
                                int(graded[agency_type]), tuple(listed[:MOST_OFTEN])))
    return tuple(groups)


def _type_order(agency_type: str) -> tuple[int, str]:
    order = list(TYPE_WORDS)
    return (order.index(agency_type) if agency_type in order else len(order), agency_type)


def shares(counted: list[Counted]) -> dict[tuple[str, str], Share]:
    """Every (scope, criterion)'s good-or-better share across the partnership in the cycle."""
    sums: dict[tuple[str, str], list[int]] = {}
    for row in counted:
        pair = sums.setdefault((row.scope, row.criterion_id), [0, 0])
        pair[0] += row.good
        pair[1] += row.n
    return {key: Share(good, n) for key, (good, n) in sums.items()}


def changes(counted: list[Counted], earlier: list[Counted], bodies: dict[int, dict[str, Any]],
            min_n: int) -> tuple[tuple[Change, ...], tuple[Change, ...], int]:
    """(improved, too few to compare, how many compared did not improve)."""
    now, then = shares(counted), shares(earlier)
    used = sorted({(row.scope, row.version_id) for row in [*counted, *earlier]})
    titles = {scope: agreed_titles(bodies.get(v, {}) for s, v in used if s == scope)
              for scope in ("plan", "advice")}
    compared = now.keys() & then.keys()
    both = len({scope for scope, _criterion in compared}) > 1
    improved, too_few, not_improved = [], [], 0
    for scope, criterion_id in sorted(compared):
        title = _scoped_title(_title(titles[scope], criterion_id), scope, both)
        change = Change(criterion_id, title, now[scope, criterion_id],
                        then[scope, criterion_id], scope)
        if change.now.n < min_n or change.before.n < min_n:
            too_few.append(change)
        elif (change.points or 0) > 0:
            improved.append(change)
        else:
            not_improved += 1
    improved.sort(key=lambda c: (-(c.points or 0), c.title))
    too_few.sort(key=lambda c: c.title)
    return tuple(improved), tuple(too_few), not_improved


def graded_standards(counted: list[Counted], by_type: Iterable[TypeGroup],
                     bodies: dict[int, dict[str, Any]]) -> list[tuple[str, str]]:
    """(standard, criterion) behind each criterion the brief lists for an agency type: the
    standards that type's final grades held it below good in, so the brief's examples for
    health's "outcomes" are the health advice standard's, never the plan's."""
    listed = {(group.agency_type, c.scope, c.criterion_id)
              for group in by_type for c in group.criteria}
    return sorted({(str(bodies.get(row.version_id, {}).get("id", "")), row.criterion_id)
                   for row in counted
                   if row.below and (row.agency_type, row.scope, row.criterion_id) in listed})


def examples(standards: list[tuple[str, str]]) -> tuple[Example, ...]:
    """Approved good-practice examples for the (standard, criterion) pairs the brief lists as
    below good; the title names the standard where another has a criterion of that title."""
    if not standards:
        return ()
    from qa_app.library.queries import approved_examples

    chosen: list[Example] = []
    per: dict[tuple[str, str], int] = {}
    for item in approved_examples(standards):
        pair = (item.rubric_id, item.criterion_id)
        if per.get(pair, 0) >= EXAMPLES_PER_CRITERION:
            continue
        per[pair] = per.get(pair, 0) + 1
        chosen.append(Example(item.criterion_id, item.heading, item.excerpt,
                              item.subject_text, item.agency_name, item.url))
    return tuple(sorted(chosen, key=lambda e: (e.criterion_title, e.agency_name)))


def reaudits(cycle_id: int) -> tuple[Reaudit, ...]:
    from qa_app.reaudit.queries import cycle_reaudit_outcomes

    return tuple(Reaudit(r.agency_name, r.subject_text, r.before_text, r.after_text, r.improved)
                 for r in cycle_reaudit_outcomes(cycle_id))


def challenges(cycle_id: int) -> Challenges:
    from qa_app.challenges.queries import cycle_challenge_counts

    counts = cycle_challenge_counts(cycle_id)
    return Challenges(counts.raised, counts.waiting, counts.upheld, counts.changed)


# --- criterion titles, from the rubric versions the grades were given against ----------------


def _bodies(version_ids: set[int]) -> dict[int, dict[str, Any]]:
    """The rubric versions' bodies (their criteria and titles), by version id."""
    if not version_ids:
        return {}
    return {version_id: {**(body or {}), "id": rubric_id}
            for version_id, rubric_id, body in db.session.execute(
                select(RubricVersion.id, RubricVersion.rubric_id, RubricVersion.body)
                .where(RubricVersion.id.in_(version_ids)))}


def _title(titles: dict[str, str], criterion_id: str) -> str:
    return titles.get(criterion_id) or criterion_id.replace("_", " ").capitalize()
