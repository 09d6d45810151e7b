"""Practice standards uploaded in the browser: a broken file is listed problem by problem as
`file:line: key: message` and nothing is stored; a valid one is previewed criterion by
criterion against the version in use, stored only on confirm, and shown in the history;
forged confirms and other roles change nothing."""

from __future__ import annotations

import io
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from qa_app.extensions import db
from qa_app.standards.models import RubricVersion, TargetsVersion
from tests import factories as make
from tests.factories import csrf_token, log_entries, sign_in

RUBRICS = Path(__file__).resolve().parents[1] / "rubrics"
PLAN = (RUBRICS / "ehcp-plan.yaml").read_text(encoding="utf-8")
NEW_CRITERION = """
  - id: transport
    title: Travel to school
    section: F
    weight: 0.5
    descriptors:
      1: Nothing is said about how the child gets to school.
      2: Travel is mentioned but not planned.
      3: Travel arrangements are clear and suit the child.
      4: Travel builds the child's independence step by step.
"""


def personal_budget_block(text: str) -> str:
    start = text.index("  - id: personal_budget")
    return text[start:text.index("  - id: advice_and_information")]


def changed_plan() -> str:
    """The shipped plan standard with one change of each kind a reviewer must see."""
    text = PLAN.replace('version: "2025.1"', 'version: "2026.1"', 1)
    text = text.replace("    weight: 2\n    limiting: true", "    weight: 3\n    limiting: true", 1)
    text = text.replace("and they inform the outcomes.", "and they shape the outcomes.", 1)
    text = text.replace(personal_budget_block(text), "")
    text = text.replace("applies_when: {nc_year_min: 9}", "applies_when: {nc_year_min: 10}")
    return text + NEW_CRITERION


@pytest.fixture()
def admin(app: Flask, client: FlaskClient) -> str:
    with app.app_context():
        make.shipped_rubrics()
        email = make.user("admin").email
        db.session.commit()
    sign_in(client, email)
    return email


def versions(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(RubricVersion.rubric_id, RubricVersion.version).order_by(RubricVersion.id))]


def kept_files(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "standards-uploads"
    return sorted(folder.glob("*")) if folder.exists() else []


def send(client: FlaskClient, text: str | bytes, name: str = "ehcp-plan.yaml"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    token = csrf_token(client, "/standards/upload")
    return client.post("/standards/upload", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), name)})


def problems(response) -> list[str]:
    page = response.get_data(as_text=True)
    summary = page.split('data-testid="upload-problems"', 1)[1].split("</ul>", 1)[0]
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", item)).split())
            for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_a_malformed_file_is_refused_with_its_line_and_nothing_is_stored(app, client, admin):
    before = versions(app)
    text = 'id: ehcp-plan\ntitle: "EHC plan\nversion: "2026.1"\n'
    refused = send(client, text, "broken.yaml")
    assert refused.status_code == 400
    [problem] = problems(refused)
    assert re.fullmatch(r"broken\.yaml:\d+: not valid YAML: .+", problem), problem
    assert "There is a problem" not in refused.get_data(as_text=True)
    assert "broken.yaml was not stored" in refused.get_data(as_text=True)
    assert versions(app) == before and kept_files(app) == []


def test_an_unknown_key_and_a_bad_grade_are_each_named_by_file_line_and_key(app, client, admin):
    before = versions(app)
    text = changed_plan().replace("    weight: 3\n", "    wieght: 3\n", 1)
    text = text.replace("      4: Travel builds", "      5: Travel builds", 1)
    refused = send(client, text, "plan-2026.yaml")
    assert refused.status_code == 400
    index = text[: text.index("  - id: transport")].count("\n  - id: ")
    assert problems(refused) == [
        f"plan-2026.yaml:{line_of(text, 'wieght: 3')}: criteria[0].wieght: unknown key; "
        "did you mean 'weight'?",
        f"plan-2026.yaml:{line_of(text, '    descriptors:' + chr(10) + '      1: Nothing')}: "
        f"criteria[{index}].descriptors: needs a descriptor for every scale value; missing [4]",
        f"plan-2026.yaml:{line_of(text, '5: Travel builds')}: "
        f"criteria[{index}].descriptors.5: 5 is not a value on the scale",
    ]
    assert versions(app) == before and kept_files(app) == []
    assert log_entries(app, "rubric.upload") == []


def test_a_valid_upload_is_previewed_criterion_by_criterion_then_stored_on_confirm(
        app, client, admin):
    before = versions(app)
    preview = send(client, changed_plan())
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert versions(app) == before, "nothing is stored by the preview"
    assert len(kept_files(app)) == 1

    def item(key: str) -> list[str]:
        block = page.split(f'data-testid="change-{key}">', 1)[1]
        block = block.split("<li class=", 1)[0].split("<form", 1)[0]
        return [" ".join(unescape(re.sub(r"<[^>]+>", " ", part)).split())
                for part in [block.split("<ul")[0], *re.findall(r"<li>(.*?)</li>", block)]]

    assert item("child_voice") == ["Changed Child or young person's voice", "Weight: 2 → 3"]
    assert item("aspirations") == ["Changed Interests, strengths and aspirations",
                                   "Descriptor for Good reworded"]
    assert item("preparation_for_adulthood") == [
        "Changed Preparing for adulthood", "Applies to: from year 9 → from year 10"]
    assert item("personal_budget") == ["Removed Personal budget"]
    assert item("transport") == ["Added Travel to school"]
    assert item("outcomes")[0].startswith("Unchanged")
    statuses = re.findall(r'data-testid="change-([a-z_]+)">\s*<strong class="govuk-tag[^"]*">\s*'
                          r'(\w+)', page)
    assert len(statuses) == 14
    assert sorted(key for key, status in statuses if status != "Unchanged") == [
        "aspirations", "child_voice", "personal_budget", "preparation_for_adulthood",
        "transport"]
    in_use = page.split('data-testid="version-in-use"', 1)[1].split("version-uploaded")[0]
    assert "2025.1" in in_use and "13" in in_use
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    sha = re.search(r'name="sha256" type="hidden" value="([^"]+)"', page).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    stored = client.post("/standards/upload/confirm",
                         data={"csrf_token": csrf, "token": token, "sha256": sha})
    assert stored.status_code == 302
    assert versions(app) == [*before, ("ehcp-plan", "2026.1")]
    assert kept_files(app) == []
    done = client.get(stored.headers["Location"]).get_data(as_text=True)
    assert "Version 2026.1 stored" in done
    with app.app_context():
        new_id, user = db.session.execute(
            select(RubricVersion.id, RubricVersion.loaded_by_id)
            .where(RubricVersion.version == "2026.1")).one()
    [entry] = log_entries(app, "rubric.upload")
    assert (entry.record_id, entry.user_id) == (str(new_id), user)
    assert entry.changes["version"] == "2026.1"

    history = client.get(f"/standards/{new_id}").get_data(as_text=True)
    rows = history.split('data-testid="version-history"', 1)[1].split("</table>", 1)[0]
    rows = rows.split("<tbody", 1)[1]
    cells = [" ".join(unescape(re.sub(r"<[^>]+>", " ", r)).split())
             for r in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", rows, re.S)]
    assert cells[0].startswith("2026.1 (this page) (current)") and "admin" in cells[0]
    assert cells[1].startswith("2025.1") and "Loaded from the rubrics folder" in cells[1]

    again = client.post("/standards/upload/confirm",
                        data={"csrf_token": csrf, "token": token, "sha256": sha})
    assert again.status_code == 400 and "no longer waiting" in again.get_data(as_text=True)
    assert versions(app) == [*before, ("ehcp-plan", "2026.1")]


def test_uploading_a_version_already_stored_is_a_plain_no_op(app, client, admin):
    before = versions(app)
    same = send(client, PLAN)
    assert same.status_code == 200
    assert ("Version 2025.1 of EHC plan practice standard is already stored, exactly as in this "
            "file. Nothing was changed.") in unescape(same.get_data(as_text=True))
    assert versions(app) == before and kept_files(app) == []
    clash = send(client, PLAN.replace("    weight: 2\n", "    weight: 5\n", 1))
    assert clash.status_code == 400
    assert problems(clash) == [
        f"ehcp-plan.yaml:{line_of(PLAN, 'version:')}: version: version '2025.1' of "
        "'ehcp-plan' is already stored with different content; give the file a new version "
        "so audits scored against the old one keep it"]


def test_forged_confirms_store_nothing(app, client, admin):
    before = versions(app)
    page = send(client, changed_plan()).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    sha = re.search(r'name="sha256" type="hidden" value="([^"]+)"', page).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    forged = [
        {"token": token, "sha256": "0" * 64},
        {"token": "../../etc/passwd", "sha256": sha},
        {"token": "A" * 32, "sha256": sha},
        {"token": token, "sha256": sha, "file": "id: other"},
    ]
    for data in forged[:3]:
        response = client.post("/standards/upload/confirm", data={"csrf_token": csrf, **data})
        assert response.status_code == 400, data
    assert client.post("/standards/upload/confirm", data=forged[3]).status_code == 400  # no CSRF
    [kept] = kept_files(app)
    kept.write_bytes(changed_plan().replace("Travel to school", "Swapped").encode())
    swapped = client.post("/standards/upload/confirm",
                          data={"csrf_token": csrf, "token": token, "sha256": sha})
    assert swapped.status_code == 400
    assert versions(app) == before
    other = app.test_client()
    sign_in(other, make.on(app).user("admin").email)
    theirs = other.post("/standards/upload/confirm", data={
        "csrf_token": csrf_token(other, "/standards/upload"), "token": token, "sha256": sha})
    assert theirs.status_code == 400, "an upload belongs to the session that made it"
    assert versions(app) == before


@pytest.mark.parametrize("role", ["qi_manager", "panel_chair", "auditor", "agency_lead"])
def test_only_an_administrator_may_upload(app, client, role):
    agency = make.on(app).agency("Community Paediatrics", "health")
    email = make.on(app).user(role, agency.name if role in ("auditor", "agency_lead") else None
                              ).email
    sign_in(client, email)
    assert client.get("/standards/upload").status_code == 404
    token = csrf_token(client, "/account") if client.get("/account").status_code == 200 else ""
    response = client.post("/standards/upload", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(changed_plan().encode()), "p.yaml")})
    assert response.status_code in (400, 404)
    assert versions(app) == []
    assert "Upload a new version" not in client.get("/standards/").get_data(as_text=True)


def test_a_targets_file_is_previewed_target_by_target_and_replaces_the_one_in_use(
        app, client, admin, tmp_path, monkeypatch):
    folder = tmp_path / "rubrics"
    shutil.copytree(RUBRICS, folder)
    monkeypatch.setitem(app.config, "RUBRICS_DIR", folder)
    text = (RUBRICS / "targets.yaml").read_text(encoding="utf-8")
    new = text.replace('version: "2025.1"', 'version: "2026.1"', 1).replace(
        'by_year: {"2025/26": 80, "2026/27": 90}', 'by_year: {"2025/26": 85, "2026/27": 90}', 1)
    new = new.replace("advice_deadline_days: 42", "advice_deadline_days: 40", 1)
    preview = send(client, new, "targets.yaml")
    assert preview.status_code == 200
    page = unescape(preview.get_data(as_text=True))
    assert "Advice deadline (days): 42 → 40" in page
    block = page.split('data-testid="change-plans_good_or_better:all"', 1)[1].split("</ul>")[0]
    assert "2025/26: 80% → 85%" in block
    assert (folder / "targets.yaml").read_text(encoding="utf-8") == text
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    sha = re.search(r'name="sha256" type="hidden" value="([^"]+)"', page).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    stored = client.post("/standards/upload/confirm",
                         data={"csrf_token": csrf, "token": token, "sha256": sha})
    assert stored.status_code == 302
    assert (folder / "targets.yaml").read_text(encoding="utf-8") == new
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TargetsVersion)) == 1
    history = client.get("/standards/targets").get_data(as_text=True)
    assert "2026.1" in history.split('data-testid="targets-history"', 1)[1]
    assert [e.changes["version"] for e in log_entries(app, "targets.upload")] == ["2026.1"]
    noop = send(client, new, "targets.yaml")
    assert "already in use, exactly as in this file" in noop.get_data(as_text=True)
