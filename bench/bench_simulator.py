"""Simulator speed: our heap engine against the same model written in SimPy, and a sweep.

    .venv/bin/python bench/bench_simulator.py [--quick]

1. A year of ~100,000 leads and 50 reps in four specialized roles, run by both engines on
   the same pre-drawn lead stream, timed in the same process. Prints both timings, the
   ratio (the target is ≥ 5x) and the headline results of each, which must agree within
   noise: the SimPy model below is the peer, not a simplification.
2. A 1,000-run headcount sweep of examples/scenarios/specialists.yaml (10 headcounts of
   account executives x 100 runs) on 2 worker processes (the target is ≤ 2 minutes).

SimPy idioms used for the peer: one PreemptiveResource per role; closing hours are
"off-shift" requests of the highest priority that take each rep once their current task
ends; meetings and onboarding request with preempt=True; an interrupted task re-requests
its remaining work just ahead of its class, like the engine's pre-emptive resume.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import simpy

from salesrelay.simulator import hours as weekly_hours
from salesrelay.simulator.engine import simulate
from salesrelay.simulator.model import Scenario, load_scenario_text, scenario_from_mapping
from salesrelay.simulator.runner import parse_sweep, sweep
from salesrelay.simulator.stream import LeadStream, draw_stream

ROOT = Path(__file__).resolve().parent.parent
OWNERS = {
    "inbound_qualification": "qualifier",
    "outbound_prospecting": "sdr",
    "closing": "account_executive",
    "post_sales": "customer_success",
}
YEAR_OF_LEADS = {
    "name": "100k leads, 50 reps",
    "horizon_days": 365,
    "hours": "mon-fri 09:00-17:00",
    "handoff_delay_minutes": 60,
    "work": {"touch_minutes": 10, "meeting_minutes": 60, "onboarding_minutes": 240},
    "roles": {
        "qualifier": {"reps": 20},
        "sdr": {"reps": 3},
        "account_executive": {"reps": 21},
        "customer_success": {"reps": 6},
    },
    "segments": {
        "smb": {
            "owners": OWNERS,
            "qualify_rate": 0.4,
            "touches": 2,
            "win_rate": 0.3,
            "deal_size": 9000,
            "meetings": 2,
            "cycle_days": 14,
        },
        "midmarket": {
            "owners": OWNERS,
            "qualify_rate": 0.4,
            "touches": 2,
            "win_rate": 0.22,
            "deal_size": 36000,
            "meetings": 4,
            "cycle_days": 45,
        },
    },
    "sources": {
        "website_smb": {"leads_per_month": 5700, "segment": "smb", "business_hours_share": 0.7},
        "website_midmarket": {
            "leads_per_month": 1800,
            "segment": "midmarket",
            "business_hours_share": 0.8,
        },
        "outbound_replies": {
            "leads_per_month": 833,
            "segment": "midmarket",
            "function": "outbound_prospecting",
            "business_hours_share": 0.9,
        },
    },
}
MEETING, ONBOARD, FIRST_TOUCH, FOLLOW_UP = 0, 1, 2, 3


class SimPyTeam:
    """The engine's model in SimPy: same stream, same rules, same outputs."""

    def __init__(self, scenario: Scenario, stream: LeadStream) -> None:
        for spec in scenario.roles.values():
            assert not (spec.unlimited or spec.new_hires or spec.ramp_days or spec.capacity)
        assert scenario.patience_minutes is None
        self.scenario, self.stream = scenario, stream
        self.env = simpy.Environment()
        self.curve = scenario.response_decay.curve()
        self.resources = {
            name: simpy.PreemptiveResource(self.env, capacity=spec.reps)
            for name, spec in scenario.roles.items()
        }
        self.slowdown = {name: 1.0 / (1.0 - scenario.penalty(name)) for name in scenario.roles}
        self.first_touch = np.full(len(stream), -1.0)
        self.won = 0
        self.revenue = 0.0
        self.qualified = 0

    def run(self) -> dict[str, float]:
        horizon = self.scenario.horizon_days * 1440.0
        for name, spec in self.scenario.roles.items():
            self.env.process(self._shifts(name, spec.reps, horizon))
        self.env.process(self._arrivals())
        self.env.run(until=horizon)
        touched = self.first_touch >= 0
        waits = self.first_touch[touched] - self.stream.arrival[touched]
        return {
            "leads": float(len(self.stream)),
            "qualified": float(self.qualified),
            "won": float(self.won),
            "revenue": self.revenue,
            "speed_to_lead_p50_minutes": float(np.percentile(waits, 50)),
        }

    def _shifts(self, role: str, reps: int, horizon: float):
        resource, off_shift = self.resources[role], []
        hours = weekly_hours.parse_weekly_hours(
            self.scenario.roles[role].hours or self.scenario.hours
        )
        for moment, opens in weekly_hours.transitions(hours, horizon):
            if moment > self.env.now:
                yield self.env.timeout(moment - self.env.now)
            if opens:
                for request in off_shift:
                    if request.triggered:
                        resource.release(request)
                    else:
                        request.cancel()
                off_shift = []
            else:
                off_shift = [resource.request(priority=-1, preempt=False) for _ in range(reps)]

    def _arrivals(self):
        env = self.env
        for lead, moment in enumerate(self.stream.arrival.tolist()):
            if moment > env.now:
                yield env.timeout(moment - env.now)
            env.process(self._journey(lead))

    def _work(self, role: str, priority: int, minutes: float, lead: int):
        resource, slowdown = self.resources[role], self.slowdown[role]
        remaining, request_priority = minutes, priority
        preempt = priority <= ONBOARD
        while remaining > 0:
            with resource.request(priority=request_priority, preempt=preempt) as request:
                yield request
                if priority == FIRST_TOUCH and self.first_touch[lead] < 0:
                    self.first_touch[lead] = self.env.now
                started = self.env.now
                try:
                    yield self.env.timeout(remaining * slowdown)
                    remaining = 0.0
                except simpy.Interrupt:
                    remaining -= (self.env.now - started) / slowdown
                    request_priority = priority - 0.5

    def _journey(self, lead: int):
        env, stream, scenario = self.env, self.stream, self.scenario
        source = scenario.sources[stream.source_names[stream.source[lead]]]
        segment = scenario.segments[source.segment]
        role = segment.owners[source.function]
        touch = scenario.work.touch_minutes
        yield from self._work(role, FIRST_TOUCH, stream.touch_work[0][lead] * touch, lead)
        for step in range(1, segment.touches):
            yield env.timeout(segment.touch_interval_hours * 60.0)
            yield from self._work(role, FOLLOW_UP, stream.touch_work[step][lead] * touch, lead)
        wait = self.first_touch[lead] - stream.arrival[lead]
        if stream.u_qualify[lead] >= segment.qualify_rate * self.curve.multiplier(wait):
            return
        self.qualified += 1
        closer = segment.owners["closing"]
        if closer != role:
            yield env.timeout(stream.handoff_delay[lead] * scenario.handoff_delay_minutes)
            if stream.u_accept[lead] >= segment.handoff_accept_rate:
                return
        gap = segment.cycle_days * 1440.0 / segment.meetings
        for step in range(segment.meetings):
            work = stream.meeting_work[step][lead] * scenario.work.meeting_minutes
            yield from self._work(closer, MEETING, work, lead)
            yield env.timeout(gap)
        if stream.u_win[lead] >= segment.win_rate:
            return
        sigma = math.sqrt(math.log1p(segment.deal_size_cv**2))
        self.won += 1
        self.revenue += segment.deal_size * math.exp(
            sigma * stream.deal_normal[lead] - sigma**2 / 2
        )
        onboarding = stream.onboarding_work[lead] * scenario.work.onboarding_minutes
        yield from self._work(segment.owners["post_sales"], ONBOARD, onboarding, lead)


def bench_engines(seed: int) -> None:
    scenario = scenario_from_mapping(YEAR_OF_LEADS)
    stream = draw_stream(scenario, seed=seed)
    started = time.perf_counter()
    ours = simulate(scenario, stream).metrics
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    peer = SimPyTeam(scenario, stream).run()
    peer_seconds = time.perf_counter() - started
    print(f"A year of {len(stream):,} leads, {sum(r.reps for r in scenario.roles.values())} reps")
    print(f"  {'':28}{'engine':>14}{'SimPy':>14}")
    print(f"  {'seconds':28}{ours_seconds:14.2f}{peer_seconds:14.2f}")
    for name in peer:
        print(f"  {name:28}{ours[name]:14,.1f}{peer[name]:14,.1f}")
    print(f"  speed ratio (SimPy / engine): {peer_seconds / ours_seconds:.1f}x (target >= 5x)")


def bench_sweep(runs: int, workers: int) -> None:
    scenario = load_scenario_text((ROOT / "examples/scenarios/specialists.yaml").read_text())
    role, counts = parse_sweep("account_executive=5..14")
    started = time.perf_counter()
    outcome = sweep(scenario, role=role, reps=counts, runs=runs, seed=1, workers=workers)
    seconds = time.perf_counter() - started
    total = runs * len(counts)
    print(f"Sweep {role}=5..14 x {runs} runs = {total:,} runs on {workers} processes")
    print(f"  {seconds:.1f} s ({seconds / total * 1000:.0f} ms a run; target <= 120 s for 1,000)")
    for summary in outcome.scenarios:
        revenue = summary.metrics["revenue"]
        print(
            f"  {summary.reps:>3} AEs: revenue {revenue.mean:14,.0f}  "
            f"[{revenue.low:,.0f}, {revenue.high:,.0f}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 runs a headcount, not 100")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bench_engines(args.seed)
    bench_sweep(10 if args.quick else 100, args.workers)


if __name__ == "__main__":
    main()
