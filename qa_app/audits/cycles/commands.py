"""`ehcp-qa cycles ...` and `ehcp-qa sample ...`: parse arguments, call operations, print."""

from __future__ import annotations

from pathlib import Path

import click

from qa_app.audits.cycles import queries
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.cycles.operations import (
    check_can_draw,
    close_cycle,
    create_cycle,
    draw_sample,
    new_seed,
    parse_date,
    reopen_cycle,
)
from qa_app.audits.cycles.sampling import export_csv, parse_rate, sample_size
from qa_app.audits.errors import CycleError, SampleError, SamplingError
from qa_app.console import FeatureGroup, print_table

cycles_group = FeatureGroup(
    "cycles", help="Audit cycles (rounds of audits, each within one academic year).")
sample_group = FeatureGroup("sample", help="Draw, size and export a cycle's sample.")


def named_cycle(name: str) -> Cycle:
    """The cycle a command names (any case, or its id), or one line saying where to look."""
    cycle = queries.find_cycle(name)
    if cycle is None:
        raise click.ClickException(
            f"No cycle called {name!r}: see `ehcp-qa cycles list` for the names"
        )
    return cycle


@cycles_group.command("create")
@click.option("--name", required=True, help='for example "Spring term 2026"')
@click.option("--start", required=True, help="start date, dd/mm/yyyy or yyyy-mm-dd")
@click.option("--end", required=True, help="end date, dd/mm/yyyy or yyyy-mm-dd")
def cycles_create(name: str, start: str, end: str) -> None:
    """Create a cycle; its academic year comes from the start date."""
    try:
        cycle = create_cycle(name, parse_date(start, "start date"), parse_date(end, "end date"))
    except CycleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created cycle {cycle.id}: {cycle.name} ({cycle.academic_year}, "
               f"{cycle.start_date:%d/%m/%Y} to {cycle.end_date:%d/%m/%Y})")


@cycles_group.command("list")
def cycles_list() -> None:
    """List cycles, newest first."""
    rows = queries.list_cycles()
    if not rows:
        click.echo("No cycles yet: create one with `ehcp-qa cycles create --name NAME "
                   "--start DATE --end DATE`.")
        return
    print_table(
        ["id", "name", "year", "start", "end", "status", "sample"],
        [[c.id, c.name, c.academic_year, f"{c.start_date:%d/%m/%Y}", f"{c.end_date:%d/%m/%Y}",
          c.status, "-" if size is None else size] for c, size in rows],
    )


@cycles_group.command("close")
@click.argument("name")
def cycles_close(name: str) -> None:
    """Close the cycle called NAME."""
    cycle = named_cycle(name)
    try:
        close_cycle(cycle)
    except CycleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Closed cycle {cycle.name}")


@cycles_group.command("reopen")
@click.argument("name")
def cycles_reopen(name: str) -> None:
    """Reopen the cycle called NAME."""
    cycle = named_cycle(name)
    try:
        reopen_cycle(cycle)
    except CycleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Reopened cycle {cycle.name}")


@sample_group.command("draw")
@click.option("--cycle", "cycle_name", required=True, help="the cycle's name")
@click.option("--size", required=True, type=int, help="number of plans to draw")
@click.option("--seed", type=int, default=None,
              help="whole number; the same seed redraws the same sample (default: a new one)")
@click.option("--transition-share", type=float, default=0.3, show_default=True,
              help="at least this share of plans from transition years (0 to 1), or their "
                   "share of the eligible plans if that is larger")
@click.option("--exclude-days", type=int, default=365, show_default=True,
              help="skip plans audited or sampled this many days before the cycle start")
@click.option("--advice-per-plan/--no-advice", "include_advice", default=True, show_default=True,
              help="also audit each sampled plan's advice")
@click.option("--min-advice-per-agency", type=int, default=1, show_default=True,
              help="every agency gets at least this much advice in the sample (0: no rule)")
@click.option("--issued-only", is_flag=True, help="only plans issued by the cycle's end date")
def sample_draw(cycle_name: str, size: int, seed: int | None, transition_share: float,
                exclude_days: int, include_advice: bool, min_advice_per_agency: int,
                issued_only: bool) -> None:
    """Draw the cycle's sample (replacing an earlier one while nothing is audited)."""
    cycle = named_cycle(cycle_name)
    chosen_seed = new_seed() if seed is None else seed
    try:
        check_can_draw(cycle, size, queries.Eligibility.for_cycle(cycle, exclude_days,
                                                                   issued_only))
        sample, result = draw_sample(
            cycle, size=size, seed=chosen_seed, transition_share=transition_share,
            include_advice=include_advice, min_advice_per_agency=min_advice_per_agency,
            exclude_days=exclude_days, issued_by_end=issued_only)
    except SampleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Drew {len(result.plans)} plans and {len(result.advice)} pieces of advice for "
               f"{cycle.name} from {result.eligible} eligible plans (seed {sample.seed}).")
    for stratum, count in result.strata.items():
        click.echo(f"  {stratum}: {count}")
    for note in result.notes:
        click.echo(f"Note: {note}")
    if sample.parameters.get("reaudit_places"):
        click.echo(f"Added {sample.parameters['reaudit_places']} re-audit place(s) beside the "
                   "random sample (amended work marked for re-audit).")


@sample_group.command("size")
@click.option("--margin", required=True, help="margin of error in points (10) or as a fraction "
              "(0.1)")
@click.option("--population", type=int, default=None, help="eligible plans (default: the "
              "cycle's eligible plans with --cycle, else no correction)")
@click.option("--proportion", default="0.5", show_default=True,
              help="expected rate as a fraction (0.8) or percent (80)")
@click.option("--cycle", "cycle_name", default=None, help="use this cycle's eligible plans as "
              "the population")
def sample_size_command(margin: str, population: int | None, proportion: str,
                        cycle_name: str | None) -> None:
    """How many plans give a rate within ±MARGIN points at 95% confidence."""
    if population is None and cycle_name:
        population = queries.eligible_count(
            queries.Eligibility.for_cycle(named_cycle(cycle_name)))
    try:
        result = sample_size(parse_rate(margin, "margin"), population,
                             parse_rate(proportion, "expected rate"))
    except SamplingError as exc:
        raise click.ClickException(str(exc)) from None
    among = f" of {population}" if population is not None else ""
    click.echo(f"{result.n} plans{among} for a rate within ±{float(result.margin) * 100:g} "
               f"points at 95% confidence (expected rate {float(result.proportion) * 100:g}%).")
    click.echo(f"Working: {result.working()}")


@sample_group.command("export")
@click.option("--cycle", "cycle_name", required=True, help="the cycle's name")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="file to write (default: standard output)")
def sample_export(cycle_name: str, output: str | None) -> None:
    """Write the cycle's sample as CSV: pseudonymous references only."""
    cycle = named_cycle(cycle_name)
    if queries.current_sample(cycle) is None:
        raise click.ClickException(f"{cycle.name} has no sample yet: draw one with "
                                   f"`ehcp-qa sample draw --cycle {cycle.name!r} --size N`")
    rows = queries.sample_rows(cycle)
    text = export_csv(rows)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise click.ClickException(f"Cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"Wrote {len(rows)} rows to {output}", err=True)


commands = [cycles_group, sample_group]
