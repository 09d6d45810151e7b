"""Uploading a practice standard in real Chromium: the upload page with its error summary,
the preview, the confirmation and the history pass axe with GOV.UK Frontend's scripts
running and fit 320 CSS px; the error summary links to the file input."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from qa_app.extensions import db
from tests import factories as make
from tests.e2e.browser import BrowserLog, check_page, fits_320, sign_in

pytestmark = pytest.mark.e2e
PLAN = (Path(__file__).resolve().parents[2] / "rubrics" / "ehcp-plan.yaml").read_text(
    encoding="utf-8")


def yaml_file(text: str, name: str = "ehcp-plan.yaml") -> dict[str, object]:
    return {"name": name, "mimeType": "application/x-yaml", "buffer": text.encode("utf-8")}


def test_upload_pages_are_accessible_and_reflow(app: Flask, page: Page,
                                                browser_log: BrowserLog) -> None:
    with app.app_context():
        make.shipped_rubrics()
        admin = make.user("admin").email
        db.session.commit()
    sign_in(page, admin)
    page.goto("/standards/")
    page.get_by_role("button", name="Upload a new version").click()
    check_page(page, browser_log, "upload page")
    fits_320(page, "upload page")

    broken = PLAN.replace("    weight: 2\n", "    wieght: 2\n", 1)
    page.get_by_label("Rubric or targets file").set_input_files(yaml_file(broken))
    page.get_by_role("button", name="Check the file").click()
    summary = page.locator("[data-testid=upload-problems]")
    line = broken[: broken.index("wieght")].count("\n") + 1
    expect(summary).to_contain_text(f"ehcp-plan.yaml:{line}: criteria[0].wieght: unknown key; "
                                    "did you mean 'weight'?")
    check_page(page, browser_log, "upload page with problems")
    fits_320(page, "upload page with problems")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Rubric or targets file")).to_be_focused()

    changed = PLAN.replace('version: "2025.1"', 'version: "2026.1"', 1).replace(
        "    weight: 2\n", "    weight: 3\n", 1)
    page.get_by_label("Rubric or targets file").set_input_files(yaml_file(changed))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("[data-testid=change-child_voice]")).to_contain_text("Weight: 2 → 3")
    check_page(page, browser_log, "preview")
    fits_320(page, "preview")
    page.get_by_role("button", name="Store version 2026.1").click()
    expect(page.get_by_role("heading", name="Version 2026.1 stored")).to_be_visible()
    check_page(page, browser_log, "stored")
    fits_320(page, "stored")
    page.get_by_role("link", name="See EHC plan practice standard and its versions").click()
    expect(page.locator("[data-testid=version-history]")).to_contain_text("2025.1")
    check_page(page, browser_log, "standard with its history")
    fits_320(page, "standard with its history")

    page.goto("/standards/targets")
    check_page(page, browser_log, "targets page")
    fits_320(page, "targets page")
