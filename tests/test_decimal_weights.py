"""Decimal criterion weights grade exactly as written: 0.1 is one tenth, not a binary float."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_app.standards.grading import overall_grade
from qa_app.standards.rubric import RubricError, parse_rubric

SCALE = (1, 2, 3, 4)


def rubric_text(weights: list[str], rounding: str = "down") -> str:
    """A rubric file as a manager would write it, with the weights typed as decimals."""
    lines = [
        "id: decimal-weights",
        "title: Decimal weights",
        'version: "1"',
        "applies_to: plan",
        "scale:",
        "  - {value: 1, label: Inadequate}",
        "  - {value: 2, label: Requires improvement}",
        "  - {value: 3, label: Good}",
        "  - {value: 4, label: Outstanding}",
        "good_or_better: 3",
        f"overall: {{method: weighted_mean, rounding: {rounding}}}",
        "criteria:",
    ]
    for index, weight in enumerate(weights):
        lines += [
            f"  - id: c{index}",
            f"    title: Criterion {index}",
            f"    weight: {weight}",
            "    descriptors: {1: a, 2: b, 3: c, 4: d}",
        ]
    return "\n".join(lines) + "\n"


def by_hand(weights: list[str], grades: list[int], rounding: str) -> int:
    """The weighted mean worked out from the decimal text, then rounded as the rubric says."""
    written = [Fraction(w) for w in weights]
    mean = sum(w * g for w, g in zip(written, grades, strict=True)) / sum(written)
    if rounding == "nearest":
        return min(SCALE, key=lambda value: (abs(value - mean), value))
    return max(value for value in SCALE if value <= mean)


def test_tenths_with_a_mean_of_exactly_good_give_good() -> None:
    rubric = parse_rubric(rubric_text(["0.1", "0.2", "0.3"]), "decimal.yaml")
    grades = {"c0": 2, "c1": 2, "c2": 4}  # (0.2 + 0.4 + 1.2) / 0.6 = 3 exactly
    result = overall_grade(rubric, grades)
    assert result == 3
    assert rubric.label_for(result) == "Good"


def test_the_same_mean_to_the_nearest_grade() -> None:
    rubric = parse_rubric(rubric_text(["0.1", "0.2", "0.3"], "nearest"), "decimal.yaml")
    assert overall_grade(rubric, {"c0": 2, "c1": 2, "c2": 4}) == 3


@pytest.mark.parametrize("weight", [".inf", "-.inf"])
def test_an_endless_weight_is_refused_with_its_line(weight: str) -> None:
    with pytest.raises(RubricError) as caught:
        parse_rubric(rubric_text(["1", weight]), "decimal.yaml")
    message = str(caught.value)
    assert "decimal.yaml:" in message and "criteria[1].weight" in message


decimal_weights = st.builds(
    lambda units, places: f"{units / 10**places:.{places}f}",
    st.integers(1, 9999),
    st.integers(0, 3),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(decimal_weights, st.sampled_from(SCALE)), min_size=1, max_size=6),
    st.sampled_from(["down", "nearest"]),
)
def test_weighted_mean_matches_exact_arithmetic_on_the_written_weights(
    rows: list[tuple[str, int]], rounding: str
) -> None:
    weights = [w for w, _ in rows]
    grades = [g for _, g in rows]
    rubric = parse_rubric(rubric_text(weights, rounding), "decimal.yaml")
    got = overall_grade(rubric, {f"c{i}": g for i, g in enumerate(grades)})
    assert got == by_hand(weights, grades, rounding)
