"""Means with 95% confidence intervals over independent runs (Student's t)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)
_Z975 = 1.959963984540054


def t_quantile_975(degrees_of_freedom: int) -> float:
    """Two-sided 95% quantile of Student's t; table to 30, Cornish-Fisher beyond."""
    if degrees_of_freedom < 1:
        return math.inf
    if degrees_of_freedom <= len(_T975):
        return _T975[degrees_of_freedom - 1]
    z, nu = _Z975, float(degrees_of_freedom)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / nu + g2 / nu**2 + g3 / nu**3


@dataclass(frozen=True)
class Summary:
    mean: float
    low: float
    high: float
    runs: int

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "ci_low": self.low, "ci_high": self.high, "runs": self.runs}


def summarize(values: Sequence[float]) -> Summary:
    count = len(values)
    if count == 0:
        return Summary(math.nan, math.nan, math.nan, 0)
    mean = math.fsum(values) / count
    if count == 1:
        return Summary(mean, mean, mean, 1)
    variance = math.fsum((value - mean) ** 2 for value in values) / (count - 1)
    half_width = t_quantile_975(count - 1) * math.sqrt(variance / count)
    return Summary(mean, mean - half_width, mean + half_width, count)


def summarize_runs(runs: Iterable[Mapping[str, float]]) -> dict[str, Summary]:
    """Per metric, over the runs that report it."""
    collected: dict[str, list[float]] = {}
    for metrics in runs:
        for name, value in metrics.items():
            collected.setdefault(name, []).append(value)
    return {name: summarize(values) for name, values in collected.items()}


def summarize_differences(
    baseline: Sequence[Mapping[str, float]], other: Sequence[Mapping[str, float]]
) -> dict[str, Summary]:
    """Paired differences other - baseline, run by run (both ran on the same lead stream)."""
    pairs = zip(baseline, other, strict=True)
    return summarize_runs(
        {name: b[name] - a[name] for name in a.keys() & b.keys()} for a, b in pairs
    )
