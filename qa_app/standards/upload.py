"""A rubric or targets file uploaded in the browser: checked like `ehcp-qa rubrics
validate`, kept in the instance folder under a random name between the preview and the
confirm, and stored as a new version only when confirmed.

The page never carries the file's content: the confirm names the kept file by its random
token and by the SHA-256 the preview showed, both also held in the signed-in session, and the
file is read and checked again before anything is stored.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from werkzeug.utils import secure_filename

from qa_app import audit_log
from qa_app.extensions import db
from qa_app.standards.diff import Changes, rubric_changes, targets_changes
from qa_app.standards.models import RubricVersion, TargetsVersion
from qa_app.standards.operations import current_versions, rubric_of
from qa_app.standards.rubric import Rubric, RubricError, RubricProblem, parse_rubric
from qa_app.standards.targets import Targets, load_targets, parse_targets
from qa_app.standards.yaml_lines import load_located_yaml
from qa_app.transactions import after_commit

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
MAX_BYTES = 512 * 1024
FOLDER = "standards-uploads"
KEPT_SECONDS = 24 * 3600


class UploadGone(Exception):
    """The kept file is missing, not this person's, or not the one previewed."""


@dataclass
class Checked:
    """A valid upload and how it compares with what is in use."""

    kind: str  # "rubric" or "targets"
    name: str
    sha256: str
    document: Rubric | Targets
    changes: Changes
    current_version: str | None
    already_held: str | None  # the no-op message, when the database already holds it

    @property
    def title(self) -> str:
        if isinstance(self.document, Rubric):
            return self.document.title
        return "Targets and deadlines"


def display_name(filename: str | None) -> str:
    return secure_filename(filename or "") or "upload.yaml"


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(data: bytes, name: str) -> Checked:
    """The upload parsed and compared; RubricError with every problem, as `file:line`."""
    if len(data) > MAX_BYTES:
        raise RubricError([RubricProblem(name, None, "", f"the file is larger than "
                                         f"{MAX_BYTES // 1024} KB; a standard is far smaller")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RubricError([RubricProblem(name, line, "", "not UTF-8 text: save the file as "
                                         "UTF-8 and upload it again")]) from None
    located = load_located_yaml(text, name)
    data_ = located.data
    is_targets = isinstance(data_, dict) and "targets" in data_ and "criteria" not in data_
    if is_targets:
        return _check_targets(parse_targets(text, name), name, fingerprint(data), located.lines)
    return _check_rubric(parse_rubric(text, name), name, fingerprint(data), located.lines)


def _check_rubric(rubric: Rubric, name: str, sha: str, lines: dict) -> Checked:
    held = _stored_rubric(rubric.id, rubric.version)
    if held is not None and held.content_hash != rubric.content_hash:
        raise RubricError([RubricProblem(
            name, lines.get(("version",)), "version",
            f"version {rubric.version!r} of {rubric.id!r} is already stored with different "
            "content; give the file a new version so audits scored against the old one keep it")])
    current = current_versions().get(rubric.id)
    old = rubric_of(current) if current is not None else None
    noop = None
    if held is not None:
        noop = (f"Version {rubric.version} of {rubric.title} is already stored, exactly as in "
                "this file. Nothing was changed.")
    return Checked("rubric", name, sha, rubric, rubric_changes(old, rubric),
                   current.version if current is not None else None, noop)


def _check_targets(targets: Targets, name: str, sha: str, lines: dict) -> Checked:
    in_use = targets_in_use()
    held = db.session.execute(
        select(TargetsVersion).where(TargetsVersion.version == targets.version)
        .order_by(TargetsVersion.id.desc())
    ).scalars().first()
    clash = (held is not None and held.content_hash != targets.content_hash) or (
        in_use is not None and in_use.version == targets.version
        and in_use.content_hash != targets.content_hash)
    if clash:
        raise RubricError([RubricProblem(
            name, lines.get(("version",)), "version",
            f"targets version {targets.version!r} is already in use with different content; "
            "give the file a new version")])
    noop = None
    if in_use is not None and in_use.content_hash == targets.content_hash:
        noop = (f"Targets version {targets.version} are already in use, exactly as in this "
                "file. Nothing was changed.")
    return Checked("targets", name, sha, targets, targets_changes(in_use, targets),
                   in_use.version if in_use is not None else None, noop)


def targets_path() -> Path:
    return Path(current_app.config["RUBRICS_DIR"]) / "targets.yaml"


def targets_in_use() -> Targets | None:
    path = targets_path()
    if not path.exists():
        return None
    try:
        return load_targets(path)
    except RubricError:
        return None


def _stored_rubric(rubric_id: str, version: str) -> RubricVersion | None:
    return db.session.execute(
        select(RubricVersion).where(RubricVersion.rubric_id == rubric_id,
                                    RubricVersion.version == version)
    ).scalar_one_or_none()


# --- the kept file -----------------------------------------------------------------------


def _folder() -> Path:
    folder = Path(current_app.instance_path) / FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def keep(data: bytes) -> str:
    """Write the upload under a random name; the token is the only way back to it. Uploads
    previewed but never confirmed are removed after a day."""
    folder = _folder()
    stale = time.time() - KEPT_SECONDS
    for old in folder.glob("*.yaml"):
        with suppress(OSError):
            if old.stat().st_mtime < stale:
                old.unlink()
    token = secrets.token_urlsafe(24)
    path = folder / f"{token}.yaml"
    with open(path, "xb") as handle:
        handle.write(data)
    return token


def kept(token: str, sha256: str) -> bytes:
    if not TOKEN.fullmatch(token or ""):
        raise UploadGone
    path = _folder() / f"{token}.yaml"
    try:
        data = path.read_bytes()
    except OSError:
        raise UploadGone from None
    if not secrets.compare_digest(fingerprint(data), sha256 or ""):
        raise UploadGone
    return data


def discard(token: str) -> None:
    if TOKEN.fullmatch(token or ""):
        (_folder() / f"{token}.yaml").unlink(missing_ok=True)


# --- storing -----------------------------------------------------------------------------


def store(checked: Checked, data: bytes, *, actor_id: int) -> RubricVersion | TargetsVersion:
    """Store the confirmed upload as a new version and log it; the caller's commit keeps it."""
    if checked.already_held:
        raise RubricError([RubricProblem(checked.name, None, "", checked.already_held)])
    if isinstance(checked.document, Rubric):
        return _store_rubric(checked.document, checked.name, actor_id)
    assert isinstance(checked.document, Targets)
    return _store_targets(checked.document, data, checked.name, actor_id)


def _store_rubric(rubric: Rubric, name: str, actor_id: int) -> RubricVersion:
    version = RubricVersion(
        rubric_id=rubric.id, version=rubric.version, title=rubric.title,
        applies_to=rubric.applies_to, content_hash=rubric.content_hash, body=rubric.to_dict(),
        source_path=name, loaded_by_id=actor_id,
    )
    db.session.add(version)
    db.session.flush()
    audit_log.record("rubric.upload", "rubric_version", version.id, user_id=actor_id,
                     changes={"rubric": rubric.id, "version": rubric.version,
                              "content_hash": rubric.content_hash, "file": name})
    return version


def _store_targets(targets: Targets, data: bytes, name: str, actor_id: int) -> TargetsVersion:
    """The row now; the file the app reads is swapped in only once the row is committed."""
    text = data.decode("utf-8-sig")
    row = TargetsVersion(version=targets.version, content_hash=targets.content_hash,
                         body=targets.to_dict(), text=text, source_path=name,
                         loaded_by_id=actor_id)
    db.session.add(row)
    db.session.flush()
    audit_log.record("targets.upload", "targets_version", row.id, user_id=actor_id,
                     changes={"version": targets.version, "content_hash": targets.content_hash,
                              "file": name})
    path = targets_path()
    staged = path.with_name(f".targets.yaml.{secrets.token_hex(8)}.tmp")  # never *.yaml
    staged.write_text(text, encoding="utf-8")
    after_commit(lambda: os.replace(staged, path))
    return row
