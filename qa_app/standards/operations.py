"""Store rubric files as versions: a changed file needs a new version; old ones are kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from qa_app import audit_log
from qa_app.extensions import db
from qa_app.standards.models import RubricVersion
from qa_app.standards.rubric import (
    Rubric,
    RubricError,
    RubricProblem,
    load_rubric,
    validate_rubric_files,
)
from qa_app.standards.yaml_lines import load_located_yaml, read_text_file


@dataclass
class LoadResult:
    loaded: list[RubricVersion] = field(default_factory=list)
    unchanged: list[RubricVersion] = field(default_factory=list)
    current: dict[str, RubricVersion] = field(default_factory=dict)


def rubric_paths(paths: Iterable[Path | str] | None = None) -> list[Path]:
    """The given files, or every rubric file in the configured folder; never targets.yaml."""
    chosen = list(paths) if paths else [Path(current_app.config["RUBRICS_DIR"])]
    expanded: list[Path] = []
    for raw in chosen:
        path = Path(raw)
        found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
        expanded.extend(p for p in found if p.name != "targets.yaml")
    return expanded


def load_rubric_files(
    paths: Iterable[Path | str] | None = None, *, actor_id: int | None = None
) -> LoadResult:
    """All or nothing: every file is checked before any version is stored."""
    files = rubric_paths(paths)
    problems = validate_rubric_files(files)
    if problems:
        raise RubricError(problems)
    parsed = [(path, load_rubric(path)) for path in files]
    result = LoadResult()
    for path, rubric in parsed:
        stored = _stored(rubric.id, rubric.version)
        if stored is None:
            continue
        if stored.content_hash == rubric.content_hash:
            result.unchanged.append(stored)
        else:
            problems.append(_version_clash(path, rubric))
    if problems:
        raise RubricError(problems)
    unchanged_ids = {v.id for v in result.unchanged}
    for path, rubric in parsed:
        if _stored(rubric.id, rubric.version) is not None:
            continue
        version = RubricVersion(
            rubric_id=rubric.id,
            version=rubric.version,
            title=rubric.title,
            applies_to=rubric.applies_to,
            content_hash=rubric.content_hash,
            body=rubric.to_dict(),
            source_path=path.name,
            loaded_by_id=actor_id,
        )
        db.session.add(version)
        db.session.flush()
        audit_log.record("rubric.load", "rubric_version", version.id, user_id=actor_id,
                         changes={"rubric": rubric.id, "version": rubric.version,
                                  "content_hash": rubric.content_hash})
        result.loaded.append(version)
    result.current = current_versions()
    assert unchanged_ids.isdisjoint(v.id for v in result.loaded)
    return result


def load_rubric_directory() -> LoadResult:
    return load_rubric_files(None)


def _stored(rubric_id: str, version: str) -> RubricVersion | None:
    return db.session.execute(
        select(RubricVersion).where(
            RubricVersion.rubric_id == rubric_id, RubricVersion.version == version
        )
    ).scalar_one_or_none()


def _version_clash(path: Path, rubric: Rubric) -> RubricProblem:
    located = load_located_yaml(read_text_file(path), str(path))
    return RubricProblem(
        str(path),
        located.lines.get(("version",)),
        "version",
        f"the content changed but version {rubric.version!r} of {rubric.id!r} is already "
        "loaded; give the file a new version so audits scored against the old one keep it",
    )


def current_versions() -> dict[str, RubricVersion]:
    """The most recently loaded version of each rubric: the one new audits use."""
    latest = (
        select(RubricVersion.rubric_id, func.max(RubricVersion.id).label("id"))
        .group_by(RubricVersion.rubric_id)
        .subquery()
    )
    rows = db.session.execute(
        select(RubricVersion).join(latest, RubricVersion.id == latest.c.id)
    ).scalars()
    return {row.rubric_id: row for row in rows}


def rubric_of(version: RubricVersion) -> Rubric:
    return Rubric.from_dict(version.body, source=f"{version.rubric_id} {version.version}")
