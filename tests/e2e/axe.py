"""Run axe-core in a Playwright page and turn its violations into a readable failure.

axe-core comes from the project's npm devDependencies (`npm ci`), never from a CDN.
The app sends a strict Content-Security-Policy (`script-src 'self' 'nonce-…'`), which
blocks `page.add_script_tag(content=…)`; `page.evaluate` goes through the DevTools
protocol and is not subject to the page's CSP, so the library is evaluated that way.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.2 AA (axe tags each success criterion with the level and version that added it)
# plus Deque's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Rules switched off, each with the reason. Keep this empty unless GOV.UK Frontend itself
# does something by design that a rule flags; never switch a rule off to hide an app bug.
DISABLED_RULES: dict[str, str] = {}

_RUN = """
async ({tags, disabled}) => {
  const rules = Object.fromEntries(disabled.map((id) => [id, {enabled: false}]));
  const results = await window.axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    rules,
    resultTypes: ['violations'],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    tags: v.tags,
    nodes: v.nodes.map((n) => ({
      target: n.target.map((t) => Array.isArray(t) ? t.join(' >>> ') : t),
      html: n.html,
      summary: n.failureSummary,
    })),
  }));
}
"""


def axe_available() -> bool:
    return AXE_PATH.is_file()


@cache
def _axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


def check_accessibility(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.2 A/AA and best practice)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(_RUN, {"tags": TAGS, "disabled": sorted(DISABLED_RULES)})


def format_violations(violations: list[dict[str, Any]], max_nodes: int = 3) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  <{v['helpUrl']}>")
        for node in v["nodes"][:max_nodes]:
            lines.append(f"    at {', '.join(node['target'])}")
            html = " ".join(node["html"].split())
            lines.append(f"       {html[:200]}{'…' if len(html) > 200 else ''}")
        if len(v["nodes"]) > max_nodes:
            lines.append(f"    … and {len(v['nodes']) - max_nodes} more")
    return "\n".join(lines)


def assert_no_violations(page: Page, label: str) -> None:
    violations = check_accessibility(page)
    if violations:
        raise AssertionError(
            f"axe found {len(violations)} accessibility rule(s) broken on {label} "
            f"({page.url}):\n{format_violations(violations)}"
        )
