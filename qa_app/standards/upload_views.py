"""Upload a practice standard or the targets in the browser: check, preview what changes
criterion by criterion, confirm, then see it stored (administrators only)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.standards import upload
from qa_app.standards.forms import ConfirmForm, UploadForm
from qa_app.standards.models import RubricVersion, TargetsVersion
from qa_app.standards.operations import current_versions, rubric_of
from qa_app.standards.rubric import RubricError
from qa_app.standards.views import bp
from qa_app.transactions import after_commit

PENDING = "standards_upload"
GONE = ("This upload is no longer waiting to be confirmed (it was stored, replaced by "
        "another upload, or belongs to another session). Nothing was stored: upload the file "
        "again.")


@bp.route("/upload", methods=["GET", "POST"])
@roles(Role.ADMIN)
def upload_file() -> ResponseReturnValue:
    form = UploadForm()
    if not form.validate_on_submit():
        if form.errors:
            return _upload_page(form, ["The form has expired: choose the file again."]), 400
        return _upload_page(form, [])
    chosen = form.file.data
    if chosen is None or not getattr(chosen, "filename", ""):
        return _upload_page(form, ["Choose the rubric or targets file to upload"]), 400
    name = upload.display_name(chosen.filename)
    data = chosen.stream.read(upload.MAX_BYTES + 1)
    try:
        checked = upload.check(data, name)
    except RubricError as error:
        return _upload_page(form, [str(p) for p in error.problems], name), 400
    _forget_pending()
    if checked.already_held:
        return _upload_page(form, [], name, noop=checked.already_held)
    token = upload.keep(data)
    session[PENDING] = {"token": token, "sha256": checked.sha256, "name": name}
    return _preview(checked, ConfirmForm(formdata=None, token=token, sha256=checked.sha256))


@bp.route("/upload/confirm", methods=["POST"])
@roles(Role.ADMIN)
def confirm_upload() -> ResponseReturnValue:
    form = ConfirmForm()
    pending = session.get(PENDING) or {}
    if not (form.validate_on_submit() and pending.get("token")
            and pending.get("token") == form.token.data
            and pending.get("sha256") == form.sha256.data):
        return _gone()
    try:
        data = upload.kept(pending["token"], pending["sha256"])
    except upload.UploadGone:
        session.pop(PENDING, None)
        return _gone()
    try:
        checked = upload.check(data, pending["name"])
        if checked.already_held:
            _forget_pending()
            flash(checked.already_held, "info")
            return redirect(url_for("standards.index"))
        stored = upload.store(checked, data, actor_id=current_user.id)
    except RubricError as error:
        db.session.rollback()
        _forget_pending()
        return _upload_page(UploadForm(formdata=None), [str(p) for p in error.problems],
                            pending["name"]), 400
    token = pending["token"]
    after_commit(lambda: upload.discard(token))
    session.pop(PENDING, None)
    if isinstance(stored, TargetsVersion):
        return redirect(url_for("standards.targets_stored", targets_id=stored.id))
    return redirect(url_for("standards.stored", version_id=stored.id))


@bp.route("/<int:version_id>/stored")
@roles(Role.ADMIN)
def stored(version_id: int) -> ResponseReturnValue:
    version = get_visible_or_404(RubricVersion, version_id)
    return render_template("standards/stored.html", title=version.title,
                           version=version.version,
                           href=url_for("standards.show", version_id=version.id))


@bp.route("/targets/<int:targets_id>/stored")
@roles(Role.ADMIN)
def targets_stored(targets_id: int) -> ResponseReturnValue:
    row = get_visible_or_404(TargetsVersion, targets_id)
    return render_template("standards/stored.html", title="Targets and deadlines",
                           version=row.version, href=url_for("standards.targets"))


@bp.route("/targets")
@roles(*STAFF)
def targets() -> ResponseReturnValue:
    history = db.session.execute(
        select(TargetsVersion).order_by(TargetsVersion.id.desc())).scalars().all()
    return render_template("standards/targets.html", in_use=upload.targets_in_use(),
                           history=history)


def _upload_page(form: UploadForm, problems: list[str], name: str | None = None,
                 noop: str | None = None) -> str:
    if problems:
        form.file.errors = [
            f"{name} has {len(problems)} problem{'s' if len(problems) != 1 else ''}, so "
            "nothing was stored. Fix them and upload the file again." if name
            else problems[0]]
    return render_template("standards/upload.html", upload_form=form, problems=problems,
                           name=name, noop=noop)


def _preview(checked: upload.Checked, form: ConfirmForm) -> str:
    current: Any = None
    if checked.kind == "rubric":
        version = current_versions().get(checked.document.id)  # type: ignore[union-attr]
        current = rubric_of(version) if version is not None else None
    else:
        current = upload.targets_in_use()
    return render_template("standards/preview.html", checked=checked, current=current,
                           new=checked.document, confirm_form=form)


def _gone() -> tuple[str, int]:
    db.session.rollback()
    return _upload_page(UploadForm(formdata=None), [GONE]), 400


def _forget_pending() -> None:
    pending = session.pop(PENDING, None)
    if pending:
        upload.discard(pending.get("token", ""))
