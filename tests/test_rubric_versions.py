"""Loading rubric files as versions: refusal of silent edits, old audits keep their version."""

from __future__ import annotations

import shutil
from datetime import date

from sqlalchemy import func, select

from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.standards.models import RubricVersion
from qa_app.standards.operations import current_versions, rubric_of
from tests import factories as make
from tests.factories import sign_in


def _copy_rubrics(project_root, tmp_path):
    folder = tmp_path / "rubrics"
    shutil.copytree(project_root / "rubrics", folder)
    return folder


def _count_versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RubricVersion))


def test_validate_shipped_rubrics_says_ok(runner, project_root):
    result = runner.invoke(["rubrics", "validate", str(project_root / "rubrics")])
    assert result.exit_code == 0 and result.output.strip() == "ok"


def test_validate_names_file_line_and_key(runner, tmp_path, project_root):
    folder = _copy_rubrics(project_root, tmp_path)
    path = folder / "advice-health.yaml"
    text = path.read_text().replace("weight: 2", "weight: -1", 1)
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "weight: -1" in row)
    result = runner.invoke(["rubrics", "validate", str(folder)])
    assert result.exit_code == 1
    assert f"{path}:{line}: criteria[0].weight:" in result.output
    assert "Traceback" not in result.output


def test_load_stores_each_rubric_once_and_is_idempotent(app, runner, project_root):
    first = runner.invoke(["rubrics", "load", str(project_root / "rubrics")])
    assert first.exit_code == 0, first.output
    assert first.output.count("loaded ") == 5
    second = runner.invoke(["rubrics", "load", str(project_root / "rubrics")])
    assert second.output.count("unchanged ") == 5 and "loaded " not in second.output
    assert _count_versions(app) == 5


def test_changed_file_without_new_version_is_refused_and_nothing_stored(
    app, runner, tmp_path, project_root
):
    folder = _copy_rubrics(project_root, tmp_path)
    runner.invoke(["rubrics", "load", str(folder)])
    path = folder / "ehcp-plan.yaml"
    text = path.read_text().replace("weight: 2", "weight: 3", 1)
    path.write_text(text)
    other = folder / "advice-health.yaml"
    other.write_text(other.read_text().replace('version: "2025.1"', 'version: "2025.2"'))
    result = runner.invoke(["rubrics", "load", str(folder)])
    assert result.exit_code == 1
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("version:"))
    assert f"{path}:{line}: version:" in result.output and "new version" in result.output
    assert _count_versions(app) == 5


def test_comment_only_edit_is_not_a_change(app, runner, tmp_path, project_root):
    folder = _copy_rubrics(project_root, tmp_path)
    runner.invoke(["rubrics", "load", str(folder)])
    path = folder / "ehcp-plan.yaml"
    path.write_text("# reviewed by the panel in January\n" + path.read_text())
    result = runner.invoke(["rubrics", "load", str(folder)])
    assert result.exit_code == 0 and _count_versions(app) == 5


def test_new_version_is_used_by_new_audits_while_old_audits_keep_theirs(
    app, runner, tmp_path, project_root
):
    folder = _copy_rubrics(project_root, tmp_path)
    runner.invoke(["rubrics", "load", str(folder)])
    agency = make.on(app).agency("SEND Casework Team", "local_authority")
    plan = make.on(app).plan(agency.id)
    with app.app_context():
        old = current_versions()["ehcp-plan"]
        audit = Audit(plan_id=plan.id, rubric_version_id=old.id, status="submitted",
                      source="import", audit_date=date(2025, 11, 1), computed_grade=3)
        db.session.add(audit)
        db.session.commit()
        audit_id, old_id = audit.id, old.id

    path = folder / "ehcp-plan.yaml"
    path.write_text(path.read_text().replace("weight: 2", "weight: 3", 1)
                    .replace('version: "2025.1"', 'version: "2026.1"'))
    result = runner.invoke(["rubrics", "load", str(folder)])
    assert "loaded ehcp-plan version 2026.1" in result.output

    with app.app_context():
        current = current_versions()["ehcp-plan"]
        assert current.version == "2026.1" and current.id != old_id
        kept = db.session.get(Audit, audit_id)
        assert kept.rubric_version_id == old_id
        assert rubric_of(kept.rubric_version).criterion("child_voice").weight == 2
        assert rubric_of(current).criterion("child_voice").weight == 3


def test_rubric_pages_show_every_version_with_descriptors(app, client, runner, project_root):
    runner.invoke(["rubrics", "load", str(project_root / "rubrics")])
    auditor_agency = make.on(app).agency("Educational Psychology Service", "education")
    auditor = make.on(app).user("auditor", auditor_agency.name)
    sign_in(client, auditor.email)
    index = client.get("/standards/").get_data(as_text=True)
    assert "EHC plan practice standard" in index and "Current" in index
    with app.app_context():
        version_id = current_versions()["ehcp-plan"].id
    page = client.get(f"/standards/{version_id}").get_data(as_text=True)
    assert "Child or young person&#39;s voice" in page
    assert "Limiting:" in page and "Outstanding" in page
    assert client.get("/standards/999999").status_code == 404
