"""`ehcp-qa rubrics validate|load`, and the two helpers `ehcp-qa surveys` shares with it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NoReturn

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

    print_ok_or_problems(validate_rubric_files(paths))


@rubrics_group.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def load(paths: tuple[str, ...]) -> None:
    """Store rubric files as new versions (default: every file in the rubrics folder)."""
    from qa_app.standards.operations import load_rubric_files

    load_and_print(load_rubric_files, paths, lambda version: version.rubric_id)


def print_ok_or_problems(problems: Iterable[object]) -> None:
    """A validate command's answer: ok, or every problem (exit 1)."""
    problems = list(problems)
    if problems:
        _exit_with(problems)
    click.echo("ok")


def load_and_print(load_files: Callable[[tuple[str, ...] | None], Any], paths: tuple[str, ...],
                   name_of: Callable[[Any], str]) -> None:
    """A load command's answer: each version loaded or unchanged (named by `name_of`), or,
    with nothing stored, every problem (exit 1). No paths means the loader's default folder."""
    from qa_app.standards.rubric import RubricError

    try:
        result = load_files(paths or None)
    except RubricError as exc:
        db.session.rollback()
        _exit_with(exc.problems)
    for version in result.loaded:
        click.echo(f"loaded {name_of(version)} version {version.version}")
    for version in result.unchanged:
        click.echo(f"unchanged {name_of(version)} version {version.version}")


def _exit_with(problems: Iterable[object]) -> NoReturn:
    for problem in problems:
        click.echo(str(problem), err=True)
    raise SystemExit(1) from None
