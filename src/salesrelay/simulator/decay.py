"""How a lead's chance to qualify falls with the time it waited for a first touch.

    m(t) = floor + (1 - floor) · (1 + t/tau)^(-exponent)     t in minutes, m(0) = 1

A Lomax (Pareto II) curve: steep in the first minutes, a heavy tail after, and a floor that
keeps day-old leads above zero. No single exponential fits both studies (FIGURES.md).
The defaults are the least-squares fit (in log ratio) to four published ratios:

| ratio                                   | published | this curve |
|-----------------------------------------|-----------|------------|
| qualify, 5 min vs 10 min (LRM 2007)     | ~4x       | 2.7x       |
| qualify, 5 min vs 30 min (LRM 2007)     | ~21x      | 25.5x      |
| qualify, 1 h vs 2 h (HBR 2011)          | ~7x       | 6.1x       |
| qualify, 1 h vs 24 h (HBR 2011)         | >60x      | 62.3x      |

The studies are read literally, as ratios of one curve; together they say that an hour-old
lead is worth well under 1% of one answered at once. Edit the parameters in a scenario's
`response_decay` when your own history says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLISHED_RATIOS = (
    (5.0, 10.0, 4.0, "Lead Response Management study (2007): 5 vs 10 minutes"),
    (5.0, 30.0, 21.0, "Lead Response Management study (2007): 5 vs 30 minutes"),
    (60.0, 120.0, 7.0, "HBR, The Short Life of Online Sales Leads (2011): 1 h vs 2 h"),
    (60.0, 1440.0, 60.0, "HBR, The Short Life of Online Sales Leads (2011): 1 h vs 24 h"),
)
DEFAULT_TAU_MINUTES = 7.84
DEFAULT_EXPONENT = 3.0
DEFAULT_FLOOR = 2.5e-5


@dataclass(frozen=True)
class ResponseCurve:
    tau_minutes: float = DEFAULT_TAU_MINUTES
    exponent: float = DEFAULT_EXPONENT
    floor: float = DEFAULT_FLOOR
    enabled: bool = True

    def multiplier(self, wait_minutes: float) -> float:
        """Share of the immediate-response qualification rate left after `wait_minutes`."""
        if not self.enabled:
            return 1.0
        decayed = (1.0 + wait_minutes / self.tau_minutes) ** -self.exponent
        return self.floor + (1.0 - self.floor) * decayed

    def ratio(self, earlier_minutes: float, later_minutes: float) -> float:
        return self.multiplier(earlier_minutes) / self.multiplier(later_minutes)
