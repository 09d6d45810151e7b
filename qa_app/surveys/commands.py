"""`ehcp-qa surveys validate|load`: the same answers as `ehcp-qa rubrics` gives."""

from __future__ import annotations

import click

from qa_app.console import FeatureGroup
from qa_app.standards.commands import load_and_print, print_ok_or_problems


@click.group("surveys", cls=FeatureGroup)
def surveys_group() -> None:
    """Family and practitioner survey files (YAML)."""


@surveys_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate(paths: tuple[str, ...]) -> None:
    """Check survey files (or folders of them); print ok or every problem with its line."""
    from qa_app.surveys.definition import validate_survey_files

    print_ok_or_problems(validate_survey_files(paths))


@surveys_group.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def load(paths: tuple[str, ...]) -> None:
    """Store survey files as new versions (default: the rubrics/surveys folder)."""
    from qa_app.surveys.operations import load_survey_files

    load_and_print(load_survey_files, paths, lambda version: version.survey_id)
