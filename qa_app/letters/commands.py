"""`ehcp-qa letters ...`: generate a cycle's letters, list them, issue one, check them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click
from sqlalchemy import select

from qa_app.console import FeatureGroup, print_table
from qa_app.extensions import db
from qa_app.letters.models import Letter

if TYPE_CHECKING:
    from qa_app.audits.cycles.models import Cycle


@click.group("letters", cls=FeatureGroup)
def letters_group() -> None:
    """Formal feedback letters to agencies and their responses."""


def _cycle(name: str) -> Cycle:
    from qa_app.letters.operations import LetterError, find_cycle

    try:
        return find_cycle(name)
    except LetterError as exc:
        raise click.ClickException(str(exc)) from None


@letters_group.command("generate")
@click.option("--cycle", "cycle_name", required=True, help="exact name (or id) of the cycle")
@click.option("--partial", is_flag=True,
              help="write the letters although some sampled plans or advice are not finalised; "
                   "each letter then says how much of the sample it is based on")
def generate(cycle_name: str, partial: bool) -> None:
    """Write a draft letter for every agency with final grades in the cycle.

    Refused while the cycle's stored figures are out of date, or while its sampled subjects
    are not all finalised (unless --partial). Runs on the worker when a broker is configured,
    otherwise here. Letters whose content would not change are left as they are.
    """
    from qa_app.jobs import launch
    from qa_app.letters.operations import LetterError
    from qa_app.letters.readiness import check_can_write, record_partial_choice

    cycle = _cycle(cycle_name)
    try:
        basis = check_can_write(cycle, partial=partial)
    except LetterError as exc:
        raise click.ClickException(str(exc)) from None
    if basis is not None:
        record_partial_choice(cycle, basis, actor_id=None, via="ehcp-qa letters generate")
        click.echo(f"Writing partial letters for {cycle.name}: {basis.words}. Each letter says "
                   f"so in its first paragraph.")
    launched = launch("generate_cycle_letters", {"cycle_id": cycle.id, "partial": partial})
    if launched.queued:
        click.echo(f"Queued job {launched.run.id} on the worker (task {launched.task_id}).")
        return
    done = launched.run
    if done is None or done.status != "done":
        raise click.ClickException(done.message if done and done.message else
                                   "the letters could not be generated")
    click.echo(f"Letters for {cycle.name}: {done.message}.")
    _list(cycle.id)


@letters_group.command("list")
@click.option("--cycle", "cycle_name", required=True, help="exact name (or id) of the cycle")
def list_letters(cycle_name: str) -> None:
    """List the cycle's letters with where each response stands."""
    _list(_cycle(cycle_name).id)


def _list(cycle_id: int) -> None:
    from qa_app.letters.queries import cycle_tracker

    rows = cycle_tracker(cycle_id, date.today())
    if not rows:
        click.echo("No letters for this cycle yet: run `ehcp-qa letters generate --cycle NAME`.")
        return
    table = []
    for row in rows:
        response = row.shown.response
        table.append([row.shown.id, row.shown.reference, row.agency_name, row.status.words,
                      response.due_date.isoformat() if response else "-",
                      row.pending_correction.reference if row.pending_correction else "-"])
    print_table(["id", "reference", "agency", "status", "response due", "correction draft"],
                 table)


@letters_group.command("issue")
@click.argument("letter_id", type=int)
@click.option("--chair", "chair_email", required=True,
              help="email of the panel chair who signs the letter")
@click.option("--yes", "confirmed", is_flag=True,
              help="issue without asking (for scripts); the check is still printed")
def issue(letter_id: int, chair_email: str, confirmed: bool) -> None:
    """Issue draft LETTER_ID, signed by a chair of one of the cycle's panels, after showing
    what will happen and what is not finished (the same check as the web page)."""
    from qa_app.auth.models import User
    from qa_app.letters.checks import issue_check
    from qa_app.letters.operations import LetterError, issue_letter

    chair = db.session.execute(
        select(User).where(User.email == chair_email.strip().lower())
    ).scalar_one_or_none()
    if chair is None:
        raise click.ClickException(f"there is no user with the email {chair_email!r}")
    draft = db.session.get(Letter, letter_id)
    if draft is None:
        raise click.ClickException(f"there is no letter {letter_id}")
    check = issue_check(draft)
    if check.refused:
        raise click.ClickException(check.refused)
    click.echo(f"Issuing {draft.reference} makes it permanent: it is dated and signed today, "
               f"asks for a response by {check.due_date.isoformat()}, and can only be put "
               "right afterwards by a correction (a new version).")
    for line in check.unfinished:
        click.echo(f"Not finished: {line}")
    if not confirmed and not click.confirm("Issue this letter?", default=False):
        raise click.ClickException("not issued")
    try:
        letter = issue_letter(letter_id, actor_id=chair.id)
    except LetterError as exc:
        raise click.ClickException(str(exc)) from None
    assert letter.response is not None
    click.echo(f"Issued {letter.reference} (SHA-256 {letter.sha256}); response due "
               f"{letter.response.due_date.isoformat()}.")


@letters_group.command("verify")
@click.option("--cycle", "cycle_name", default=None, help="only this cycle's letters")
def verify(cycle_name: str | None) -> None:
    """Check every issued letter's PDF and content against their recorded SHA-256."""
    from qa_app.letters.integrity import describe, failures

    cycle = _cycle(cycle_name) if cycle_name else None
    count, bad = failures(cycle.id if cycle else None)
    if bad:
        for letter, found in bad:
            click.echo(f"FAILED: {describe(letter, found)}", err=True)
        raise click.ClickException(
            f"{len(bad)} of {count} issued letters fail their integrity check: "
            f"{', '.join(letter.reference for letter, _ in bad)}. Do not rely on them; restore "
            "them from a backup and tell the quality improvement manager")
    click.echo(f"All {count} issued letters match their recorded SHA-256 (PDF and content).")

