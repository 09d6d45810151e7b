"""One request-size limit for the whole app, with the import upload as its only larger
exception; an over-size request gets a page that says what happened."""

from __future__ import annotations

import io

from tests import factories as make
from tests.factories import csrf_token, sign_in
from tests.factories.imports import PLAN_HEADER, csv_bytes


def test_an_oversize_request_gets_a_clear_413_page(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    token = csrf_token(client, "/account/password")
    padding = io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    response = client.post("/account/password", data={
        "csrf_token": token, "current_password": "x", "attachment": (padding, "big.bin")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "What you sent is too large" in page and "up to 1 MB" in page
    assert "Nothing was saved" in page and "govuk-heading-l" in page


def test_the_limit_is_a_setting(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    token = csrf_token(client, "/account/password")
    response = client.post("/account/password", data={"csrf_token": token,
                                                      "current_password": "y" * 5000})
    assert response.status_code == 413 and "up to 4 KB" in response.get_data(as_text=True)


def test_the_import_upload_may_be_larger(app, client):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    rows = [PLAN_HEADER] + [[f"EHCP-{i:06d}", casework.name, "5", "new", "01/09/2025", "",
                             "Oak Primary School and Nursery, the main site " * 2]
                            for i in range(14_000)]
    data = csv_bytes(rows)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    token = csrf_token(client, "/imports/")
    response = client.post("/imports/", data={"csrf_token": token, "kind": "plans",
                                              "file": (io.BytesIO(data), "register.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "14,000" in response.get_data(as_text=True)
