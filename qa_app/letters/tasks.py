"""Letters' background jobs: a cycle's letters fanned out one task per agency, then counted."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from sqlalchemy.exc import InterfaceError, OperationalError

from qa_app import jobs, transactions
from qa_app.extensions import db
from workers import RETRY

log = logging.getLogger(__name__)


@shared_task(name="workers.tasks.generate_letter", **RETRY)
def generate_letter(
    agency_id: int, cycle_id: int, job_run_id: int | None = None, partial: bool = False,
    fresh_checked: bool = False, parent_job_id: int | None = None,
) -> dict[str, Any]:
    """Write one agency's draft letter for a cycle; unchanged facts leave the letter as it is.

    `fresh_checked` is set by the cycle's job, which checked the figures for every letter;
    each letter is a heartbeat of that job (`parent_job_id`), sent once the letter is
    committed. Every agency ends with an outcome, failures included, so the cycle's job
    always hears back.
    """
    from qa_app.letters.operations import LetterError

    run = None
    if job_run_id is not None:
        run = jobs.start(job_run_id, "generate_letter",
                         {"agency_id": agency_id, "cycle_id": cycle_id, "partial": partial})
    try:
        result = _write_letter(agency_id, cycle_id, partial, fresh_checked)
    except LetterError as exc:
        db.session.rollback()
        result = {"agency_id": agency_id, "outcome": "failed", "error": str(exc)}
    except (OperationalError, InterfaceError):
        db.session.rollback()
        if generate_letter.request.retries < (generate_letter.max_retries or 0):
            raise
        result = {"agency_id": agency_id, "outcome": "failed",
                  "error": "the database could not be reached"}
    except Exception as exc:  # reported on the cycle's job, never lost
        db.session.rollback()
        log.exception("letter for agency %s in cycle %s failed", agency_id, cycle_id)
        result = {"agency_id": agency_id, "outcome": "failed",
                  "error": f"an unexpected error ({type(exc).__name__})"}
    if parent_job_id is not None:
        transactions.after_commit(lambda: jobs.heartbeat(parent_job_id))
    if run is not None:
        if result["outcome"] == "failed":
            jobs.fail(run, result["error"])
        else:
            jobs.finish(run, result)
    return result


def _write_letter(agency_id: int, cycle_id: int, partial: bool,
                  fresh_checked: bool) -> dict[str, Any]:
    """A duplicate delivery may write the same version first: then read what it wrote."""
    from dataclasses import asdict

    from sqlalchemy.exc import IntegrityError

    from qa_app.letters.operations import generate_letter as write

    try:
        outcome = write(agency_id, cycle_id, partial=partial, fresh_checked=fresh_checked)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        outcome = write(agency_id, cycle_id, partial=partial, fresh_checked=fresh_checked)
        db.session.flush()
    return asdict(outcome)


@shared_task(name="workers.tasks.generate_cycle_letters", bind=True, **RETRY)
def generate_cycle_letters(self: Any, cycle_id: int, job_run_id: int | None = None,
                           partial: bool = False) -> dict:
    """Check the cycle's figures and sample once, fan out one generate_letter per agency with
    final grades in the cycle (a group), then record the totals (the group's callback)."""
    from celery import chord

    from qa_app.audits.cycles.models import Cycle
    from qa_app.letters.content import agencies_with_final_grades
    from qa_app.letters.operations import LetterError
    from qa_app.letters.readiness import check_can_write

    run = jobs.start(job_run_id, "generate_cycle_letters",
                     {"cycle_id": cycle_id, "partial": partial})
    cycle = db.session.get(Cycle, cycle_id)
    try:
        if cycle is None:
            raise LetterError(f"there is no audit cycle with id {cycle_id}")
        check_can_write(cycle, partial=partial)
    except LetterError as exc:
        jobs.fail(run, str(exc))
        return {"error": str(exc)}
    agencies = agencies_with_final_grades(cycle.id)
    if not agencies:
        run.message = f"No agency has final grades in {cycle.name}"
        jobs.finish(run, {"cycle": cycle.name, "letters": 0})
        return {"cycle_id": cycle.id, "agencies": 0}
    jobs.progress(run, 5, f"Writing {len(agencies)} letters for {cycle.name}")
    queue = (self.request.delivery_info or {}).get("routing_key")
    options = {"queue": queue} if queue else {}
    header = [self.app.signature("workers.tasks.generate_letter",
                                 (agency_id, cycle.id, None, partial, True),
                                 {"parent_job_id": run.id}, **options)
              for agency_id in agencies]
    body = self.app.signature("workers.tasks.letters_generated", (cycle.id, run.id), **options)
    chord(header, app=self.app)(body)
    return {"cycle_id": cycle.id, "agencies": len(agencies)}


@shared_task(name="workers.tasks.letters_generated", **RETRY)
def letters_generated(
    results: list[dict[str, Any]], cycle_id: int, job_run_id: int
) -> dict[str, Any]:
    """Record how many letters a cycle's group wrote, updated or left unchanged."""
    from collections import Counter

    run = db.session.get(jobs.JobRun, job_run_id) or jobs.start(
        None, "generate_cycle_letters", {"cycle_id": cycle_id})
    counts = Counter(result["outcome"] for result in results)
    failures = [result for result in results if result["outcome"] == "failed"]
    summary = {"cycle_id": cycle_id, "letters": len(results), **dict(sorted(counts.items()))}
    if failures:
        named = "; ".join(f"{_agency_name(f['agency_id'])}: {f['error']}" for f in failures)
        if len(failures) == len(results):
            jobs.fail(run, f"No letter was written. {named}", summary)
        else:
            written = len(results) - len(failures)
            run.message = (f"{written} of {len(results)} letters written; not written for "
                           f"{named}")
            jobs.finish(run, summary, status="partial")
    else:
        run.message = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        jobs.finish(run, summary)
    return summary


def _agency_name(agency_id: int) -> str:
    from qa_app.register.models import Agency

    agency = db.session.get(Agency, agency_id)
    return agency.name if agency is not None else f"agency {agency_id}"
