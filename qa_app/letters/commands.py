"""`ehcp-qa letters ...`: generate a cycle's letters, list them, issue one, check them."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from qa_app.extensions import db


@click.group("letters")
def letters_group() -> None:
    """Formal feedback letters to agencies and their responses."""


def _cycle(name: str):  # noqa: ANN202
    from qa_app.letters.operations import LetterError, find_cycle

    try:
        return find_cycle(name)
    except LetterError as exc:
        raise click.ClickException(str(exc)) from None


@letters_group.command("generate")
@click.option("--cycle", "cycle_name", required=True, help="exact name (or id) of the cycle")
@with_appcontext
def generate(cycle_name: str) -> None:
    """Write a draft letter for every agency with final grades in the cycle.

    Runs on the worker when a broker is configured, otherwise here. Letters whose facts have
    not changed are left as they are.
    """
    from qa_app.jobs import JobRun, enqueue_record
    from qa_app.letters.operations import LetterError, check_rates_ready
    from workers import check_broker

    cycle = _cycle(cycle_name)
    try:
        check_rates_ready(cycle)
    except LetterError as exc:
        raise click.ClickException(str(exc)) from None
    check_broker()
    job = enqueue_record("generate_cycle_letters", {"cycle_id": cycle.id})
    db.session.commit()
    task = current_app.extensions["celery"].tasks["workers.tasks.generate_cycle_letters"]
    result = task.delay(cycle.id, job.id)
    if current_app.config.get("CELERY_BROKER_URL"):
        click.echo(f"Queued job {job.id} on the worker (task {result.id}).")
        return
    db.session.expire_all()
    done = db.session.get(JobRun, job.id)
    if done is None or done.status != "done":
        raise click.ClickException(done.message if done and done.message else
                                   "the letters could not be generated")
    click.echo(f"Letters for {cycle.name}: {done.message}.")
    _list(cycle.id)


@letters_group.command("list")
@click.option("--cycle", "cycle_name", required=True, help="exact name (or id) of the cycle")
@with_appcontext
def list_letters(cycle_name: str) -> None:
    """List the cycle's letters with where each response stands."""
    _list(_cycle(cycle_name).id)


def _list(cycle_id: int) -> None:
    from qa_app.cli import _print_table
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
    _print_table(["id", "reference", "agency", "status", "response due", "correction draft"],
                 table)


@letters_group.command("issue")
@click.argument("letter_id", type=int)
@click.option("--chair", "chair_email", required=True,
              help="email of the panel chair who signs the letter")
@with_appcontext
def issue(letter_id: int, chair_email: str) -> None:
    """Issue draft LETTER_ID, signed by a chair of one of the cycle's panels."""
    from qa_app.auth.models import User
    from qa_app.letters.operations import LetterError, issue_letter

    chair = db.session.execute(
        select(User).where(User.email == chair_email.strip().lower())
    ).scalar_one_or_none()
    if chair is None:
        raise click.ClickException(f"there is no user with the email {chair_email!r}")
    try:
        letter = issue_letter(letter_id, actor_id=chair.id)
    except LetterError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    assert letter.response is not None
    click.echo(f"Issued {letter.reference} (SHA-256 {letter.sha256}); response due "
               f"{letter.response.due_date.isoformat()}.")


@letters_group.command("verify")
@with_appcontext
def verify() -> None:
    """Check every issued letter's stored PDF against its recorded SHA-256."""
    import hashlib

    from qa_app.letters.models import Letter

    bad = []
    count = 0
    for letter in db.session.execute(
            select(Letter).where(Letter.status == "issued").order_by(Letter.id)).scalars():
        count += 1
        if hashlib.sha256(letter.pdf or b"").hexdigest() != letter.sha256:
            bad.append(letter.reference)
    if bad:
        raise click.ClickException(f"{len(bad)} of {count} issued letters fail their integrity "
                                   f"check: {', '.join(bad)}")
    click.echo(f"All {count} issued letters match their recorded SHA-256.")


commands = [letters_group]
