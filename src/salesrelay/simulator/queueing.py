"""Closed forms for a team answering leads: Erlang B, Erlang C (M/M/c) and Erlang A (M/M/c+M).

Units at the edges are the ones a sales manager uses: arrivals per hour, handling minutes,
a target answer time in seconds, a patience in minutes. Inside, everything is in minutes.

Erlang C assumes a lead waits as long as it takes. Erlang A lets a waiting lead go cold after
an exponentially distributed patience (mean 1/θ); then P(abandon) = θ·E[Wq] always holds.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


class QueueingError(ValueError):
    """The inputs describe no queue (no reps, negative rates…)."""


@dataclass(frozen=True)
class QueueMetrics:
    p_wait: float
    service_level: float
    asa_seconds: float
    occupancy: float
    mean_wait_seconds: float
    p_abandon: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        data = asdict(self)
        if self.p_abandon is None:
            del data["p_abandon"]
        return data


def offered_load(arrivals_per_hour: float, handle_minutes: float) -> float:
    """A = λ·AHT, in Erlangs."""
    return arrivals_per_hour / 60.0 * handle_minutes


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability by the stable recursion B₀ = 1, Bₖ = A·Bₖ₋₁ / (k + A·Bₖ₋₁)."""
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arriving lead waits (M/M/c); 1.0 when the queue is unstable."""
    if load >= servers:
        return 1.0
    blocking = erlang_b(servers, load)
    return servers * blocking / (servers - load * (1.0 - blocking))


def _check(arrivals_per_hour: float, handle_minutes: float, reps: int) -> None:
    if reps < 1:
        raise QueueingError("reps must be at least 1")
    if arrivals_per_hour <= 0:
        raise QueueingError("arrivals per hour must be positive")
    if handle_minutes <= 0:
        raise QueueingError("handling minutes must be positive")


def erlang_c_metrics(
    *, arrivals_per_hour: float, handle_minutes: float, reps: int, target_seconds: float
) -> QueueMetrics:
    """P(wait), service level within the target, ASA and occupancy of an M/M/c queue."""
    _check(arrivals_per_hour, handle_minutes, reps)
    load = offered_load(arrivals_per_hour, handle_minutes)
    if load >= reps:
        inf = math.inf
        return QueueMetrics(1.0, 0.0, inf, 1.0, inf)
    p_wait = erlang_c(reps, load)
    target_minutes = target_seconds / 60.0
    service_level = 1.0 - p_wait * math.exp(-(reps - load) * target_minutes / handle_minutes)
    asa_minutes = p_wait * handle_minutes / (reps - load)
    return QueueMetrics(
        p_wait=p_wait,
        service_level=service_level,
        asa_seconds=asa_minutes * 60.0,
        occupancy=load / reps,
        mean_wait_seconds=asa_minutes * 60.0,
    )


MAX_QUEUE_STATES = 2_000_000


def _erlang_a_states(arrival_rate: float, service_rate: float, reps: int, abandon_rate: float):
    """Stationary probabilities of 0…c busy reps and of j = 0, 1, … leads waiting.

    Computed in log space (loads of hundreds of Erlangs overflow A^n/n!). The ratio between
    successive waiting states falls as the queue grows, so once it is below 1 the tail is
    bounded by a geometric series; states are added in blocks until that bound is below
    e^-40 of the largest term.
    """
    busy = np.arange(1, reps + 1)
    log_busy = np.concatenate(([0.0], np.cumsum(np.log(arrival_rate / (busy * service_rate)))))
    blocks, last, top, start = [], log_busy[-1], log_busy.max(), 1
    while True:
        ahead = np.arange(start, start + 4096)
        ratios = arrival_rate / (reps * service_rate + ahead * abandon_rate)
        block = last + np.cumsum(np.log(ratios))
        blocks.append(block)
        top, last, start = max(top, block.max()), block[-1], start + len(ahead)
        ratio = ratios[-1]
        if ratio < 1 and last + math.log(ratio / (1 - ratio)) < top - 40.0:
            break
        if start > MAX_QUEUE_STATES:
            raise QueueingError(
                "the queue grows too long to compute: the team is overloaded and leads wait "
                "almost forever; add reps or give a shorter patience"
            )
    logs = np.concatenate((log_busy, *blocks))
    probs = np.exp(logs - top)
    probs /= probs.sum()
    return probs[:reps], probs[reps:]


def _served_within(rates: np.ndarray, abandon_rate: float, horizon: float) -> np.ndarray:
    """P(reached by a rep within `horizon` | j leads ahead), for every j, by uniformization.

    A waiting lead with j ahead moves forward at rate r_j = cμ + jθ and goes cold at θ.
    """
    if horizon <= 0:
        return np.zeros(len(rates))
    uniform_rate = float(rates.max()) + abandon_rate
    mean_steps = uniform_rate * horizon
    forward = rates / uniform_rate
    stay = 1.0 - (rates + abandon_rate) / uniform_rate
    reached = np.zeros(len(rates))
    result = np.zeros(len(rates))
    last_step = int(mean_steps + 12.0 * math.sqrt(mean_steps) + 30.0)
    for step in range(last_step + 1):
        if step > 0:
            shifted = np.concatenate(([1.0], reached[:-1]))
            reached = forward * shifted + stay * reached
        # `reached` is P(reached by the rep within `step` uniformized jumps).
        result += _poisson_pmf(step, mean_steps) * reached
    return result


def _poisson_pmf(k: int, mean: float) -> float:
    return math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1))


def erlang_a_metrics(
    *,
    arrivals_per_hour: float,
    handle_minutes: float,
    reps: int,
    target_seconds: float,
    patience_minutes: float,
) -> QueueMetrics:
    """M/M/c+M: leads that wait too long go cold (exponential patience, mean `patience_minutes`).

    `service_level` is the share of all leads reached by a rep within the target; `asa_seconds`
    the mean wait of the leads that were reached; `mean_wait_seconds` the mean time in queue
    of every lead (E[Wq]), so that p_abandon = θ·E[Wq].
    """
    _check(arrivals_per_hour, handle_minutes, reps)
    if patience_minutes <= 0:
        raise QueueingError("patience must be positive")
    arrival_rate, service_rate = arrivals_per_hour / 60.0, 1.0 / handle_minutes
    abandon_rate = 1.0 / patience_minutes
    busy, waiting = _erlang_a_states(arrival_rate, service_rate, reps, abandon_rate)
    queue_lengths = np.arange(len(waiting))
    # A lead arriving to state c + j has j leads ahead of it (PASTA).
    rates = reps * service_rate + queue_lengths * abandon_rate
    keep = rates / (rates + abandon_rate)
    served_if_ahead = np.cumprod(keep)
    mean_served_wait = served_if_ahead * np.cumsum(1.0 / (rates + abandon_rate))
    p_wait = min(1.0, float(waiting.sum()))
    mean_queue = float((waiting * queue_lengths).sum())
    mean_wait = mean_queue / arrival_rate
    # Counted lead by lead (not from the identity), so tests can check P(abandon) = θ·E[Wq].
    p_abandon = float((waiting * (1.0 - served_if_ahead)).sum())
    p_served = 1.0 - p_abandon
    reached_in_time = _served_within(rates, abandon_rate, target_seconds / 60.0)
    service_level = min(1.0, float(busy.sum() + (waiting * reached_in_time).sum()))
    asa = float((waiting * mean_served_wait).sum()) / p_served
    return QueueMetrics(
        p_wait=p_wait,
        service_level=service_level,
        asa_seconds=asa * 60.0,
        occupancy=min(1.0, arrival_rate * p_served / (reps * service_rate)),
        mean_wait_seconds=mean_wait * 60.0,
        p_abandon=p_abandon,
    )


def queue_metrics(
    *,
    arrivals_per_hour: float,
    handle_minutes: float,
    reps: int,
    target_seconds: float,
    patience_minutes: float | None = None,
) -> QueueMetrics:
    """Erlang A when a patience is given, else Erlang C."""
    if patience_minutes is None:
        return erlang_c_metrics(
            arrivals_per_hour=arrivals_per_hour,
            handle_minutes=handle_minutes,
            reps=reps,
            target_seconds=target_seconds,
        )
    return erlang_a_metrics(
        arrivals_per_hour=arrivals_per_hour,
        handle_minutes=handle_minutes,
        reps=reps,
        target_seconds=target_seconds,
        patience_minutes=patience_minutes,
    )


def reps_needed(
    *,
    arrivals_per_hour: float,
    handle_minutes: float,
    target_seconds: float,
    service_level: float,
    patience_minutes: float | None = None,
    max_reps: int = 10_000,
) -> int:
    """The fewest reps that answer `service_level` of leads within the target."""
    if not 0 < service_level < 1:
        raise QueueingError("the service-level goal must be between 0 and 1, e.g. 0.8")
    load = offered_load(arrivals_per_hour, handle_minutes)
    reps = max(1, math.floor(load) + (1 if patience_minutes is None else 0))
    while reps <= max_reps:
        metrics = queue_metrics(
            arrivals_per_hour=arrivals_per_hour,
            handle_minutes=handle_minutes,
            reps=reps,
            target_seconds=target_seconds,
            patience_minutes=patience_minutes,
        )
        if metrics.service_level >= service_level:
            return reps
        reps += 1
    raise QueueingError(f"more than {max_reps} reps would be needed")
