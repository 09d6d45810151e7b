"""No spreadsheet the product writes can carry a formula: every CSV and XLSX download and
every CSV from the command line, header row included, with agencies and cycles named like
formulas."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from flask import Flask
from openpyxl import load_workbook

from tests import factories as make
from tests.factories import sign_in

FORMULA = '{}HYPERLINK("http://x","y")'
AGENCIES = (FORMULA.format("="), FORMULA.format("+"), FORMULA.format("-"))
CYCLES = (FORMULA.format("\t="), FORMULA.format("\r="), FORMULA.format("@"))
STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")

CHARTS = ("headline", "agencies", "heatmap", "trend")
EXPORTS = ("rates", "audits", "agreement", "timeliness")


def _csv_cells(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows, "empty CSV"
    return [cell for row in rows for cell in row]


def _xlsx_cells(data: bytes) -> list[object]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), f"a formula in {name}"
    book = load_workbook(io.BytesIO(data))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
                cells.append(cell.value)
    return cells


def _assert_inert(cells: list[object], where: str) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    bad = [c for c in texts if c.startswith(STARTS) and not NUMBER.fullmatch(c)]
    assert not bad, f"{where}: {bad[:3]}"
    # the names really were written (so the walk covered them), made inert
    assert any("HYPERLINK" in c for c in texts), f"{where}: no hostile name written"


def test_every_download_neutralises_formula_names(app: Flask) -> None:
    world = make.on(app).security_world(agencies=AGENCIES, cycles=CYCLES)
    client = app.test_client()
    assert sign_in(client, world.emails["qi_manager"]).status_code == 302
    walked = set()
    urls = []
    for cycle in (None, world.cycle_ids[0]):
        query = f"?year=2025/26&cycle={cycle}" if cycle else "?year=2025/26"
        urls += [(f"/dashboard/data/{chart}.{fmt}{query}", "dashboard.chart_data")
                 for chart in CHARTS for fmt in ("csv", "xlsx")]
        urls += [(f"/dashboard/export/{kind}.{fmt}{query}", "dashboard.export")
                 for kind in EXPORTS for fmt in ("csv", "xlsx")]
    urls.append((f"/cycles/{world.open_cycle_id}/sample.csv", "cycles.export"))
    hostile_seen = False
    for url, endpoint in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        walked.add(endpoint)
        if url.split("?")[0].endswith(".xlsx"):
            cells = _xlsx_cells(response.data)
        else:
            cells = _csv_cells(response.get_data(as_text=True))
        texts = [c for c in cells if isinstance(c, str)]
        assert not [c for c in texts if c.startswith(STARTS) and not NUMBER.fullmatch(c)], url
        hostile_seen = hostile_seen or any("HYPERLINK" in c for c in texts)
        if re.search(r"/(trend|sample|rates|audits|timeliness)\.", url):
            _assert_inert(cells, url)
    assert hostile_seen
    # every route that answers with a spreadsheet is in the walk above
    spreadsheet_routes = {rule.endpoint for rule in app.url_map.iter_rules()
                          if re.search(r"\.(csv|xlsx)$|\.<fmt>$", rule.rule)}
    assert spreadsheet_routes <= walked, spreadsheet_routes - walked


def test_the_trend_header_row_shows_cycle_names_as_text(app: Flask) -> None:
    world = make.on(app).security_world(agencies=AGENCIES, cycles=CYCLES)
    client = app.test_client()
    sign_in(client, world.emails["qi_manager"])
    text = client.get("/dashboard/data/trend.csv?year=2025/26").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert "'" + CYCLES[0] in header and "'" + CYCLES[1] in header
    book = load_workbook(io.BytesIO(client.get("/dashboard/data/trend.xlsx?year=2025/26").data))
    first_row = [c.value for c in next(book.active.iter_rows(max_row=1))]
    assert "'" + CYCLES[0] in first_row


def test_command_line_csv_neutralises_formula_names(app: Flask, runner) -> None:
    make.on(app).security_world(agencies=AGENCIES, cycles=CYCLES)
    result = runner.invoke(["rates", "--format", "csv"])
    assert result.exit_code == 0, result.output
    _assert_inert(_csv_cells(result.output), "ehcp-qa rates --format csv")
    sample = runner.invoke(["sample", "export", "--cycle", CYCLES[2]])
    assert sample.exit_code == 0, sample.output
    _assert_inert(_csv_cells(sample.output), "ehcp-qa sample export")
