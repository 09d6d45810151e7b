"""`ehcp-qa surveys validate|load`."""

from __future__ import annotations

import click

from qa_app.console import FeatureGroup
from qa_app.extensions import db


@click.group("surveys", cls=FeatureGroup)
def surveys_group() -> None:
    """Family and practitioner survey files (YAML)."""


@surveys_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate(paths: tuple[str, ...]) -> None:
    """Check survey files (or folders of them); print ok or every problem with its line."""
    from qa_app.surveys.definition import validate_survey_files

    problems = validate_survey_files(paths)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1)
    click.echo("ok")


@surveys_group.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def load(paths: tuple[str, ...]) -> None:
    """Store survey files as new versions (default: the rubrics/surveys folder)."""
    from qa_app.surveys.definition import RubricError
    from qa_app.surveys.operations import load_survey_files

    try:
        result = load_survey_files(paths or None)
    except RubricError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    for version in result.loaded:
        click.echo(f"loaded {version.survey_id} version {version.version}")
    for version in result.unchanged:
        click.echo(f"unchanged {version.survey_id} version {version.version}")
