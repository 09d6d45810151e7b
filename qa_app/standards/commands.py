"""`ehcp-qa rubrics validate|load`."""

from __future__ import annotations

import click

from qa_app.console import FeatureGroup
from qa_app.extensions import db


@click.group("rubrics", cls=FeatureGroup)
def rubrics_group() -> None:
    """Practice-standard rubric files (YAML)."""


@rubrics_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate(paths: tuple[str, ...]) -> None:
    """Check rubric files (or folders of them) and targets.yaml; print ok or every problem."""
    from qa_app.standards.rubric import validate_rubric_files

    problems = validate_rubric_files(paths)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1)
    click.echo("ok")


@rubrics_group.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def load(paths: tuple[str, ...]) -> None:
    """Store rubric files as new versions (default: every file in the rubrics folder)."""
    from qa_app.standards.operations import load_rubric_files
    from qa_app.standards.rubric import RubricError

    try:
        result = load_rubric_files(paths or None)
    except RubricError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    for version in result.loaded:
        click.echo(f"loaded {version.rubric_id} version {version.version}")
    for version in result.unchanged:
        click.echo(f"unchanged {version.rubric_id} version {version.version}")

