"""The statistics beside each rate: the Wilson interval and inter-rater agreement."""

from __future__ import annotations

from math import sqrt

Z_95 = 1.959963984540054


def percent(good: int, n: int) -> float | None:
    return 100.0 * good / n if n else None


def wilson_interval(good: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for good/n, in percent; None when nothing was counted.

    Unlike the normal approximation it stays inside 0-100 and behaves for small samples
    and rates near 0% or 100%, which audit samples often are.
    """
    if n <= 0:
        return None
    if not 0 <= good <= n:
        raise ValueError(f"good ({good}) must be between 0 and n ({n})")
    p = good / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, 100 * (centre - half_width)), min(100.0, 100 * (centre + half_width))


def weighted_kappa(
    pairs: int,
    sum_first: int,
    sum_second: int,
    squares_first: int,
    squares_second: int,
    squared_differences: int,
) -> float | None:
    """Cohen's kappa with quadratic weights, from sums over the pairs of grades.

    With weights (i - j)^2, observed disagreement is the mean squared difference and the
    disagreement expected by chance is var(first) + var(second) + (mean difference)^2, so
    kappa = 1 - observed / expected. Pass the grades' ranks on the rubric's scale, not their
    values, so that every step between neighbouring grades weighs the same (see
    reporting/agreement.py).
    None when there are no pairs or chance disagreement is nil (both gave one grade only).
    """
    if pairs <= 0:
        return None
    mean_first, mean_second = sum_first / pairs, sum_second / pairs
    var_first = squares_first / pairs - mean_first**2
    var_second = squares_second / pairs - mean_second**2
    expected = var_first + var_second + (mean_first - mean_second) ** 2
    if expected <= 1e-12:
        return None
    return 1 - (squared_differences / pairs) / expected
