"""Assemble what a letter says for an agency and a cycle, from the database.

The PDF (pdf.py) and the accessible HTML page are both built from one `LetterContent`
(document.py), so they always say the same. `Facts` is the part drawn from the database;
its hash decides whether regenerating a letter changes anything.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.scoring.models import Audit, AuditScore
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.letters.document import (
    AuditedItem,
    Excerpt,
    Facts,
    Figure,
    Finding,
    Letterhead,
    Rate,
)
from qa_app.letters.evidence import PER_CRITERION, known_terms, usable_excerpt
from qa_app.reaudit.queries import letter_befores as reaudits
from qa_app.register.models import Agency
from qa_app.reporting import queries as stored
from qa_app.reporting.labels import criterion_in_scope
from qa_app.standards.models import RubricVersion
from qa_app.standards.targets import exact
from qa_app.standards.titles import agreed_titles
from qa_app.text import clean_text

CRITERION_MEASURE = "criterion_good_or_better"
FIGURE_ROWS = (
    ("plans_good_or_better", "all", "EHC plans rated good or better"),
    ("plans_good_or_better", "transition_years", "Transition-year plans rated good or better"),
    ("plans_issued_in_20_weeks", "all", "EHC plans issued within 20 weeks"),
    ("advice_good_or_better", "all", "Advice rated good or better"),
    ("advice_on_time", "all", "Advice provided on time"),
    ("child_voice_good_or_better", "all", "Child's voice rated good or better"),
    ("reaudited_good_or_better", "all", "Re-audited work now good or better"),
)
REAUDITED_KIND = ", re-audited after amendment"
MAX_FINDINGS = 3
DEFAULT_CRITERION_TARGET = 80.0


# --- reading the rates: through the one reader of stored rates -----------------------------


def current_run_id(cycle_id: int) -> int | None:
    """The cycle's current aggregation run: the latest computed."""
    run = stored.current_run("cycle", str(cycle_id))
    return None if run is None else run.id


def agency_figures(agency_id: int, cycle_id: int) -> dict[tuple[str, str, str], Rate]:
    """The agency's rates in the cycle's current run, by (measure, scope, breakdown)."""
    run_id = current_run_id(cycle_id)
    if run_id is None:
        return {}
    rows = stored.rates(run_id, agencies=[agency_id], partnership=False)
    return {(r.measure, r.scope, r.breakdown): Rate(r.n, r.good, r.target, r.rag) for r in rows}


# --- assembling -----------------------------------------------------------------------------


def letterhead() -> Letterhead:
    """PARTNERSHIP_NAME, PARTNERSHIP_ADDRESS (lines split by | or newlines), PARTNERSHIP_LOGO,
    from the app's settings (qa_app/config.py reads them from the environment)."""
    config = current_app.config

    def setting(key: str, default: str = "") -> str:
        value = config.get(key)
        return str(value) if value else default

    address = setting("PARTNERSHIP_ADDRESS").replace("|", "\n")
    return Letterhead(
        name=setting("PARTNERSHIP_NAME", "Example SEND Partnership"),
        address=tuple(line.strip() for line in address.splitlines() if line.strip()),
        logo_path=setting("PARTNERSHIP_LOGO") or None,
    )


def previous_cycle(cycle: Cycle) -> Cycle | None:
    return db.session.execute(
        select(Cycle).where(Cycle.start_date < cycle.start_date)
        .order_by(Cycle.start_date.desc(), Cycle.id.desc()).limit(1)
    ).scalar_one_or_none()


POST_WORDS = frozenset(Role.AGENCY_LEAD.label.lower().split())


def addressee(agency: Agency) -> str:
    """The name of the agency's lead (the active user with the agency lead role) that a letter
    greets; "The lead for <agency>" (greeted "Dear colleague,") when no lead has one."""
    leads = db.session.execute(
        select(User).where(User.agency_id == agency.id, User.role == Role.AGENCY_LEAD.value,
                           User.active.is_(True)).order_by(User.id)
    ).scalars()
    names = (name for lead in leads if (name := personal_name(lead)))
    return next(names, f"The lead for {agency.name}")


def personal_name(user: User) -> str | None:
    """The user's name as a letter may greet them; None for the default taken from the email
    address ("j.smith") or a name that describes the post ("Demo lead, paediatrics")."""
    name = " ".join(clean_text(user.display_name or "").split())
    words = set(re.findall(r"[^\W\d_]+", name.lower()))
    if not name or name.lower() == user.email.split("@")[0].lower() or words & POST_WORDS:
        return None
    return name


def _own_audits(agency_id: int, cycle_id: int) -> Any:
    """Audits of the subjects whose final grade in the cycle counts for this agency: the
    agency recorded with the grade (audits/moderation/recorded.py), as the letter's figures
    use, not the register's owner now, so a plan or advice moved since never leaves the
    appendix and the figures disagreeing."""
    graded = select(FinalGrade.plan_id, FinalGrade.advice_id).where(
        FinalGrade.cycle_id == cycle_id, FinalGrade.agency_id == agency_id).subquery()
    return or_(
        Audit.plan_id.in_(select(graded.c.plan_id).where(graded.c.plan_id.is_not(None))),
        Audit.advice_id.in_(select(graded.c.advice_id).where(graded.c.advice_id.is_not(None))),
    )


def agencies_with_final_grades(cycle_id: int) -> list[int]:
    """Agencies that a final grade of the cycle counts for (the agency recorded with it)."""
    graded = select(FinalGrade.agency_id).where(FinalGrade.cycle_id == cycle_id)
    ids = db.session.execute(
        select(Agency.id).where(Agency.id.in_(graded)).order_by(Agency.name)
    ).scalars().all()
    return list(ids)


def assemble_facts(agency_id: int, cycle_id: int, response_working_days: int, *,
                   basis: tuple[int, int] | None = None) -> Facts:
    """`basis` is (finalised, sampled) for a letter written before the whole sample was
    finalised; the letter then says so first."""
    agency = db.session.get(Agency, agency_id)
    cycle = db.session.get(Cycle, cycle_id)
    if agency is None or cycle is None:
        raise LookupError("no such agency or cycle")
    before = previous_cycle(cycle)
    now = agency_figures(agency_id, cycle_id)
    then = agency_figures(agency_id, before.id) if before else {}
    grades = db.session.execute(
        select(FinalGrade).where(FinalGrade.cycle_id == cycle_id,
                                 FinalGrade.agency_id == agency_id)
    ).scalars().all()
    versions = _rubric_bodies({g.rubric_version_id for g in grades})
    titles = _criterion_titles(versions, grades)
    figures = tuple(
        Figure(label, now.get((m, s, "")), then.get((m, s, "")))
        for m, s, label in FIGURE_ROWS if (m, s, "") in now or (m, s, "") in then
    )
    computed = _computed_criteria()
    judged = {key: rate for key, rate in now.items() if key[2] not in computed}
    strengths, areas = _findings(judged, titles, _criterion_target(now))
    again = reaudits(agency_id, cycle_id)
    terms = known_terms([*titles.values(), agency.name, *_agency_names(),
                         *(lvl["label"] for b in versions.values() for lvl in b.get("scale", []))])
    return Facts(
        agency_id=agency.id,
        agency_name=agency.name,
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        academic_year=cycle.academic_year,
        previous_cycle_name=before.name if before else None,
        plans=sum(1 for g in grades if g.plan_id is not None),
        advice=sum(1 for g in grades if g.advice_id is not None),
        figures=figures,
        strengths=_with_evidence(strengths, agency_id, cycle_id, terms, good=True),
        areas=_with_evidence(areas, agency_id, cycle_id, terms, good=False),
        items=tuple(sorted((_item(g, versions, again) for g in grades),
                           key=lambda i: i.reference)),
        response_working_days=response_working_days,
        sample_finalised=basis[0] if basis else None,
        sample_size=basis[1] if basis else None,
    )


def _computed_criteria() -> frozenset[str]:
    """Criteria whose grade is worked out from dates (advice timeliness), in any rubric.

    Their share is already a figure of its own (advice provided on time, from the register);
    quoting it again as "rated good or better" would give a letter two numbers for one thing.
    """
    bodies = db.session.execute(select(RubricVersion.body)).scalars()
    return frozenset(c["id"] for body in bodies for c in (body or {}).get("criteria", [])
                     if c.get("kind") == "computed")


def _agency_names() -> list[str]:
    return list(db.session.execute(select(Agency.name)).scalars())


def _rubric_bodies(ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = db.session.execute(select(RubricVersion).where(RubricVersion.id.in_(ids))).scalars()
    return {r.id: {**r.body, "title": r.title} for r in rows}


def _scope(grade: FinalGrade) -> str:
    """"plan" or "advice", as the criterion measure's rows are scoped."""
    return "plan" if grade.plan_id is not None else "advice"


def _criterion_titles(bodies: dict[int, dict[str, Any]],
                      grades: Any) -> dict[tuple[str, str], str]:
    """Each criterion's title by (scope, criterion id), from the standards the agency's work
    in that scope was graded against: a plan's "outcomes" is not an advice's. Where two
    standards of one scope title an id differently, the caller puts the id in words."""
    used = sorted({(_scope(g), g.rubric_version_id) for g in grades})
    return {(scope, criterion_id): title for scope in ("plan", "advice")
            for criterion_id, title in agreed_titles(
                bodies.get(version_id, {}) for s, version_id in used if s == scope).items()}


def _criterion_target(now: dict[tuple[str, str, str], Rate]) -> float:
    for measure in ("plans_good_or_better", "advice_good_or_better"):
        rate = now.get((measure, "all", ""))
        if rate and rate.target is not None:
            return rate.target
    return DEFAULT_CRITERION_TARGET


def _findings(
    now: dict[tuple[str, str, str], Rate], titles: dict[tuple[str, str], str], target: float
) -> tuple[list[Finding], list[Finding]]:
    """Criteria at or above the target are strengths; the lowest below it are areas.

    One finding per (scope, criterion): plans and advice are graded against different
    standards, so a plan's "outcomes" and an advice's are never added together. Only for an
    agency with findings in both scopes does each title say which it is."""
    rates = {(scope, criterion): rate for (measure, scope, criterion), rate in now.items()
             if measure == CRITERION_MEASURE and criterion and rate.n}
    both = len({scope for scope, _ in rates}) > 1

    def title(scope: str, criterion: str) -> str:
        text = titles.get((scope, criterion), criterion.replace("_", " ").capitalize())
        return criterion_in_scope(text, scope) if both else text

    findings = [Finding(c, title(s, c), Rate(rate.n, rate.good, target), scope=s)
                for (s, c), rate in sorted(rates.items())]
    above = [f for f in findings if (f.rate.exact or 0) >= exact(target)]
    below = [f for f in findings if (f.rate.exact or 0) < exact(target)]
    above.sort(key=lambda f: (-(f.rate.percent or 0), -f.rate.n, f.criterion_id, f.scope))
    below.sort(key=lambda f: (f.rate.percent or 0, -f.rate.n, f.criterion_id, f.scope))
    return above[:MAX_FINDINGS], below[:MAX_FINDINGS]


def _with_evidence(
    findings: list[Finding], agency_id: int, cycle_id: int, terms: frozenset[str], *, good: bool
) -> tuple[Finding, ...]:
    """Attach short anonymised notes by auditors (see evidence.py for the rule), each from
    an audit of the finding's own scope: a plan's audit for a plan finding, an advice's for
    an advice finding."""
    if not findings:
        return ()
    rows = db.session.execute(
        select(AuditScore.id, AuditScore.criterion_id, AuditScore.grade, AuditScore.evidence,
               RubricVersion.body["good_or_better"].as_integer(), Audit.plan_id)
        .join(Audit, Audit.id == AuditScore.audit_id)
        .join(RubricVersion, RubricVersion.id == Audit.rubric_version_id)
        .where(Audit.cycle_id == cycle_id, Audit.status == "submitted",
               _own_audits(agency_id, cycle_id),
               AuditScore.criterion_id.in_([f.criterion_id for f in findings]),
               AuditScore.evidence.is_not(None), AuditScore.grade.is_not(None))
        .order_by(AuditScore.id)
    ).all()
    quotes: dict[tuple[str, str], list[Excerpt]] = {}
    for score_id, criterion_id, grade, note, threshold, plan_id in rows:
        if (grade >= threshold) != good:
            continue
        scope = "plan" if plan_id is not None else "advice"
        chosen = quotes.setdefault((scope, criterion_id), [])
        text = usable_excerpt(note, terms)
        if text and len(chosen) < PER_CRITERION and text not in {e.text for e in chosen}:
            chosen.append(Excerpt(f"s{score_id}", text))
    return tuple(replace(f, evidence=tuple(quotes.get((f.scope, f.criterion_id), [])))
                 for f in findings)


def _item(grade: FinalGrade, bodies: dict[int, dict[str, Any]],
          reaudited: dict[tuple[int | None, int | None], str] | None = None) -> AuditedItem:
    body = bodies.get(grade.rubric_version_id, {})
    labels = {level["value"]: level["label"] for level in body.get("scale", [])}
    before = (reaudited or {}).get((grade.plan_id, grade.advice_id))
    if before is not None:  # re-audited work: the kind says so, the grade says what it was
        labels = {v: f"{text} (was {before})" for v, text in labels.items()}
    if grade.plan is not None:
        reference, kind = grade.plan.ref, "EHC plan"
    else:
        assert grade.advice is not None
        reference = grade.advice.ref
        kind = f"{grade.advice.advice_type.replace('_', ' ').capitalize()} advice"
    kind += REAUDITED_KIND if before is not None else ""
    return AuditedItem(reference, kind, body.get("title", ""),
                       labels.get(grade.grade, str(grade.grade)), grade.good_or_better)


# --- the free text a chair may edit -----------------------------------------------------------


def default_paragraphs(facts: Facts) -> tuple[str, str, str]:
    work = _counted(facts.plans, "EHC plan", "EHC plans")
    if facts.advice:
        work = (f"{work} and {_counted(facts.advice, 'piece', 'pieces')} of advice"
                if facts.plans else f"{_counted(facts.advice, 'piece', 'pieces')} of advice")
    opening = (
        f"Thank you for the part {facts.agency_name} played in the {facts.cycle_name} "
        f"multi-agency audit. The panel audited {work} from your agency against the "
        "partnership's practice standards. This letter sets out the figures for your agency, "
        "what the panel found strongest, where it asks you to focus next, and the formal "
        "response the partnership board asks of you."
    )
    strengths = (
        "The panel found your agency's work strongest in the areas below, where the share "
        "rated good or better met the partnership's target."
        if facts.strengths else
        "No area of your agency's audited work met the partnership's target this cycle, so "
        "the panel has not listed particular strengths."
    )
    areas = (
        "The panel asks your agency to focus on the areas below, where the share of audited "
        "work rated good or better was lowest and below the partnership's target."
        if facts.areas else
        "Every area the panel audited met the partnership's target this cycle. Please keep "
        "the practice that achieved this in place."
    )
    from qa_app.library.letters import cited_examples  # the good-practice library

    areas += cited_examples(facts.agency_id, facts.cycle_id,
                            [(f.scope, f.criterion_id) for f in facts.areas])
    again = [i for i in facts.items if i.kind.endswith(REAUDITED_KIND)]
    if again:
        opening += (
            f"\n\nRe-audit after amendment: the panel also audited "
            f"{_counted(len(again), 'piece', 'pieces')} of work again after your agency amended "
            f"it; {sum(1 for i in again if i.good_or_better)} of them "
            f"{'is' if sum(1 for i in again if i.good_or_better) == 1 else 'are'} now good or "
            "better. The appendix gives each one's grade before and after.")
    return opening, strengths, areas


def _counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
