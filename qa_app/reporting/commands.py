"""`ehcp-qa aggregate` and `ehcp-qa rates`: recompute the figures, and print them."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import click

from qa_app import console
from qa_app.cells import safe_cell
from qa_app.console import print_table
from qa_app.reporting.labels import percent_figure, percent_text, status, status_words
from qa_app.reporting.periods import ACADEMIC_YEAR, CYCLE, PeriodError, find_cycle, year_period


@console.command("aggregate")
@click.option("--cycle", "cycle_name", default=None, help="exact name of one audit cycle")
@click.option("--year", default=None, help="one academic year, such as 2025/26")
def aggregate(cycle_name: str | None, year: str | None) -> None:
    """Recompute the rates (default: every cycle and academic year with something to report).

    Runs on the worker when a broker is configured, otherwise here. Inputs that have not
    changed since the last run give no new figures.
    """
    from qa_app.jobs import launch

    try:
        periods = _periods(cycle_name, year)
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from None
    for kind, key in periods:
        launched = launch("aggregate", {"period_kind": kind, "period_key": key})
        if launched.queued:
            click.echo(f"Queued job {launched.run.id} on the worker (task {launched.task_id}).")
            continue
        data = launched.result
        if not isinstance(data, dict):
            raise click.ClickException(launched.run.message or "the figures were not recalculated")
        if "error" in data:
            raise click.ClickException(data["error"])
        _print_summary(data)


def _periods(cycle_name: str | None, year: str | None) -> list[tuple[str | None, str | None]]:
    chosen: list[tuple[str | None, str | None]] = []
    if cycle_name:
        chosen.append((CYCLE, str(find_cycle(cycle_name).id)))
    if year:
        chosen.append((ACADEMIC_YEAR, year_period(year).key))
    return chosen or [(None, None)]


def _print_summary(data: dict[str, Any]) -> None:
    if not data["periods"]:
        click.echo("Nothing to aggregate: there are no cycles or final grades yet.")
        return
    click.echo(f"Rates as of {data['as_of']} (targets version {data['targets_version']}):")
    print_table(
        ["period", "kind", "figures", "rates", "run"],
        [[p["label"], p["kind"], p["status"], p["rates"], p["run_id"]] for p in data["periods"]],
    )
    click.echo(f"Improvement actions: {data['actions_opened']} opened, "
               f"{data['actions_closed']} closed.")


FIELDS = ["period", "period_kind", "agency", "measure", "scope", "breakdown", "n", "good",
          "excluded", "rate", "ci_low", "ci_high", "target", "rag", "status", "status_text",
          "computed_at", "weighted_rate", "weighted_ci_low", "weighted_ci_high"]
TABLE = ["period", "agency", "measure", "scope", "breakdown", "n", "good", "rate", "95% interval",
         "target", "status"]


@console.command("rates")
@click.option("--cycle", "cycle_name", default=None, help="exact name of one audit cycle")
@click.option("--year", default=None, help="one academic year, such as 2025/26")
@click.option("--agency", "agency_name", default=None,
              help="name of one agency (any capitals and spacing)")
@click.option("--measure", default=None, help="one measure, such as plans_good_or_better")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
def rates(cycle_name: str | None, year: str | None, agency_name: str | None,
          measure: str | None, fmt: str) -> None:
    """Print the current rates (default: every period aggregated so far)."""
    from qa_app.register.commands import agency_named

    try:
        wanted = [] if not (cycle_name or year) else [
            (k, v) for k, v in _periods(cycle_name, year) if k and v
        ]
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from None
    agency_id = agency_named(agency_name).id if agency_name else None
    records = _records(wanted, agency_id, measure)
    if fmt == "json":
        click.echo(json.dumps(records, indent=2))
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writerow({name: safe_cell(name) for name in FIELDS})
        writer.writerows({k: safe_cell(v) for k, v in r.items()} for r in records)
        click.echo(out.getvalue(), nl=False)
    elif not records:
        click.echo("No rates yet for that choice: run `ehcp-qa aggregate` first.")
    else:
        print_table(TABLE, [_table_row(r) for r in records])


def _records(wanted: list[tuple[str, str]], agency_id: int | None,
             measure: str | None) -> list[dict[str, Any]]:
    from qa_app.reporting.queries import current_run, in_display_order, rates, reported_periods

    choices = reported_periods()
    if wanted:
        choices = [c for c in choices if (c.kind, c.key) in wanted]
    records = []
    for choice in choices:
        run = current_run(choice.kind, choice.key)
        if run is None:
            continue
        rows = in_display_order(rates(
            run.id, measures=[measure] if measure else None,
            agencies=None if agency_id is None else [agency_id], partnership=agency_id is None))
        for s in rows:
            records.append({
                "period": choice.label, "period_kind": choice.kind,
                "agency": s.agency or "Partnership", "measure": s.measure,
                "scope": s.scope, "breakdown": s.breakdown, "n": s.n, "good": s.good,
                "excluded": s.excluded, "rate": percent_figure(s.rate, s.target),
                "ci_low": percent_figure(s.low), "ci_high": percent_figure(s.high),
                "target": s.target, "rag": s.rag, "status": status(s.rag, s.target),
                "status_text": status_words(s.rag, s.target),
                "computed_at": run.computed_at.isoformat(timespec="seconds"),
                "weighted_rate": percent_figure(s.weighted_rate, s.target),
                "weighted_ci_low": percent_figure(s.weighted_low),
                "weighted_ci_high": percent_figure(s.weighted_high),
            })
    return records


def _table_row(r: dict[str, Any]) -> list[Any]:
    def pct(value: float | None, target: float | None = None) -> str:
        return "-" if value is None else percent_text(value, target)

    interval = "-" if r["ci_low"] is None else f"{r['ci_low']:.1f}-{r['ci_high']:.1f}%"
    rate = pct(r["rate"], r["target"])
    if r["weighted_rate"] is not None:  # see reporting/weighting.py
        rate = f"{pct(r['weighted_rate'], r['target'])} weighted (raw {rate})"
        interval = f"{r['weighted_ci_low']:.1f}-{r['weighted_ci_high']:.1f}%"
    return [r["period"], r["agency"], r["measure"], r["scope"], r["breakdown"] or "-", r["n"],
            r["good"], rate, interval, pct(r["target"]), r["status_text"]]

