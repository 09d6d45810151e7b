"""The sample-size calculator against figures worked by hand, and its command."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_app.audits.cycles.sampling import SamplingError, parse_rate, sample_size


def test_three_hundred_plans_ten_points_needs_73():
    # z = 1.96, p = 0.5, e = 0.10, N = 300
    # n0 = 1.96² × 0.5 × 0.5 / 0.10² = 3.8416 × 0.25 / 0.01 = 0.9604 / 0.01 = 96.04
    # n  = n0 / (1 + (n0 − 1) / N) = 96.04 / (1 + 95.04 / 300) = 96.04 / 1.3168 = 72.93...
    # rounded up: 73
    result = sample_size("0.10", 300, "0.5")
    assert result.n0 == Fraction("96.04")
    assert float(result.n_exact) == pytest.approx(72.934, abs=0.001)
    assert result.n == 73
    assert result.working() == (
        "n0 = 1.96² × 0.5 × (1 − 0.5) / 0.1² = 96.04; "
        "n = n0 / (1 + (n0 − 1) / 300) = 72.93, rounded up to 73"
    )


def test_without_a_population_there_is_no_correction():
    # n0 = 3.8416 × 0.25 / 0.05² = 0.9604 / 0.0025 = 384.16 -> 385
    result = sample_size("0.05")
    assert result.n0 == Fraction("384.16") and result.n == 385
    assert "rounded up to 385" in result.working() and "n = n0" not in result.working()


def test_a_thousand_plans_five_points():
    # n = 384.16 / (1 + 383.16 / 1000) = 384.16 / 1.38316 = 277.74 -> 278
    assert sample_size("0.05", 1000).n == 278


def test_a_prior_rate_of_80_percent_needs_fewer():
    # n0 = 3.8416 × 0.8 × 0.2 / 0.01 = 0.614656 / 0.01 = 61.4656
    # n  = 61.4656 / (1 + 60.4656 / 300) = 61.4656 / 1.201552 = 51.16 -> 52
    result = sample_size("0.10", 300, "0.8")
    assert result.n0 == Fraction("61.4656")
    assert result.n == 52


def test_a_small_population_is_taken_whole():
    # n = 96.04 / (1 + 95.04 / 10) = 96.04 / 10.504 = 9.14 -> 10, all of them
    assert sample_size("0.10", 10).n == 10
    assert sample_size("0.10", 1).n == 1


def test_an_exact_whole_number_is_not_rounded_up():
    # e = 0.098: n0 = 0.9604 / 0.009604 = 100 exactly (floating point would give 100.000...01)
    assert sample_size("0.098").n == 100


@pytest.mark.parametrize(
    ("margin", "population", "proportion", "message"),
    [
        ("0", None, "0.5", "margin of error"),
        ("1", None, "0.5", "margin of error"),
        ("0.1", None, "0", "expected rate"),
        ("0.1", None, "1", "expected rate"),
        ("0.1", 0, "0.5", "population"),
    ],
)
def test_impossible_inputs_are_refused_with_a_message(margin, population, proportion, message):
    with pytest.raises(SamplingError, match=message):
        sample_size(margin, population, proportion)


def test_rates_are_read_as_points_or_fractions():
    assert parse_rate("10", "margin") == Fraction(1, 10)
    assert parse_rate("0.1", "margin") == Fraction(1, 10)
    assert parse_rate("80%", "rate") == Fraction(4, 5)
    with pytest.raises(SamplingError, match="must be a number"):
        parse_rate("ten", "margin")


@given(
    margin=st.integers(1, 49),
    population=st.integers(1, 200_000),
    rate=st.integers(1, 99),
)
def test_never_more_than_the_population_and_wider_margins_need_fewer(margin, population, rate):
    narrow = sample_size(Fraction(margin, 100), population, Fraction(rate, 100))
    wide = sample_size(Fraction(margin + 1, 100), population, Fraction(rate, 100))
    assert 1 <= wide.n <= narrow.n <= population


def test_sample_size_command_shows_the_working(app, runner):
    result = runner.invoke(["sample", "size", "--margin", "10", "--population", "300"])
    assert result.exit_code == 0, result.output
    assert "73 plans of 300" in result.output
    assert "96.04" in result.output and "72.93" in result.output
    no_population = runner.invoke(["sample", "size", "--margin", "0.05"])
    assert "385 plans for a rate within ±5 points" in no_population.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--margin", "ten"], "must be a number"),
        (["--margin", "0"], "margin of error must be more than 0"),
        (["--margin", "10", "--proportion", "100"], "expected rate must be more than 0%"),
        (["--margin", "10", "--population", "0"], "population must be at least 1"),
        (["--margin", "10", "--cycle", "Nope"], "No cycle called 'Nope'"),
    ],
)
def test_sample_size_command_bad_input_is_one_clear_message(app, runner, args, message):
    result = runner.invoke(["sample", "size", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
