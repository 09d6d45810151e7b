"""Every data table sits in its own labelled, focusable scrolling region in the template, so
a table wider than a phone scrolls inside it while the page reflows (WCAG 2.2 1.4.10), with
no script needed to put it there."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "qa_app" / "templates"
REGION = re.compile(r'<div class="app-table-scroll"(?=[^>]*\brole="region")'
                    r'(?=[^>]*\baria-label="[^"]+")(?=[^>]*\btabindex="0")[^>]*>\s*$')


def _unwrapped(path: Path) -> list[int]:
    lines = path.read_text().splitlines()
    missing = []
    for number, line in enumerate(lines):
        if "<table" not in line:
            continue
        before = next((text for text in reversed(lines[:number]) if text.strip()), "")
        if not REGION.search(before.strip()):
            missing.append(number + 1)
    return missing


def test_every_table_in_a_template_is_in_a_labelled_scrolling_region() -> None:
    missing = {str(path.relative_to(TEMPLATES)): lines
               for path in sorted(TEMPLATES.rglob("*.html")) if (lines := _unwrapped(path))}
    assert not missing, f"tables outside a labelled region (file: lines): {missing}"


def test_the_page_script_no_longer_wraps_tables() -> None:
    script = (TEMPLATES.parent / "static" / "app.mjs").read_text()
    assert "app-table-scroll" not in script
