"""The discrete-event engine: one run of a scenario on one lead stream.

A binary heap of (time, sequence, kind, a, b) tuples drives the clock; arrivals are merged
from the pre-drawn, sorted stream instead of being pushed, and every random number comes
from the stream, so a run is a deterministic function of (scenario, stream).

Work is pooled per role. A rep starts work only while the role is open; a task that is
running at closing time is finished. Task classes, most urgent first: a meeting on an open
opportunity, onboarding a new customer, the first touch of a new lead, a follow-up touch.
With `preempt`, meetings and onboarding interrupt the lowest-class task of a busy rep, which
goes back to the front of its queue and later resumes where it stopped (pre-emptive resume).

The handlers are written for speed (locals, few calls): a year of 100,000 leads is a few
hundred thousand events.
"""

from __future__ import annotations

import itertools
import math
from heapq import heappop, heappush

from salesrelay.simulator import hours as weekly_hours
from salesrelay.simulator.model import Scenario, ScenarioError
from salesrelay.simulator.results import STAGES, Counts, RunResult, collect
from salesrelay.simulator.state import RoleState, SegmentPlan
from salesrelay.simulator.stream import LeadStream

MEETING, ONBOARD, FIRST_TOUCH, FOLLOW_UP = 0, 1, 2, 3
# Event kinds.
FINISH, FREE_FINISH, ABANDON, TOUCH_DUE, HANDOFF, MEETING_DUE = range(6)
DECIDE, RENEW, SHIFT, HIRE = range(6, 10)
WAITING, QUALIFYING, HANDING_OFF, OPPORTUNITY, ONBOARDING = range(len(STAGES))
YEAR_MINUTES = 365.25 * 1440.0
_GOLDEN = 0.6180339887498949


class Engine:
    def __init__(self, scenario: Scenario, stream: LeadStream) -> None:
        self.scenario = scenario
        self.stream = stream
        self.horizon = scenario.horizon_days * 1440.0
        self.curve = scenario.response_decay.curve()
        self.preempt = scenario.preempt
        self.now = 0.0
        self.heap: list[tuple] = []
        self._sequence = itertools.count()
        self.roles = {name: RoleState(name, scenario) for name in scenario.roles}
        self._init_reps()
        self._init_leads()
        self.counts = Counts(len(STAGES))
        self.handlers = (
            self._finish,
            self._free_finish,
            self._abandon,
            self._touch_due,
            self._handoff,
            self._meeting_due,
            self._decide,
            self._renew,
            self._shift,
            self._hire,
        )

    # -- set-up ----------------------------------------------------------------------------
    def _init_reps(self) -> None:
        self.rep_role: list[RoleState] = []
        self.rep_hired: list[float] = []
        for role in self.roles.values():
            spec = self.scenario.roles[role.name]
            starts = [-math.inf] * spec.reps + [
                hire.start_day * 1440.0 for hire in spec.new_hires for _ in range(hire.count)
            ]
            for start in starts:
                rep = len(self.rep_role)
                self.rep_role.append(role)
                self.rep_hired.append(start)
                if start <= 0:
                    role.idle.append(rep)
                    role.active_reps += 1
                elif start < self.horizon:
                    self._push(start, HIRE, rep, 0)
            for moment, opens in weekly_hours.transitions(role.hours, self.horizon):
                self._push(moment, SHIFT, role, opens)
        size = len(self.rep_role)
        self.rep_task: list[list | None] = [None] * size
        self.rep_version = [0] * size
        self.rep_started = [0.0] * size
        self.rep_slowdown = [1.0] * size

    def _init_leads(self) -> None:
        scenario, stream = self.scenario, self.stream
        plans, touch_roles = [], []
        for name in stream.source_names:
            source = scenario.sources.get(name)
            if source is None:
                raise ScenarioError(
                    f"sources.{name}: scenario {scenario.name!r} has no such source; "
                    "compared scenarios must share their lead sources"
                )
            segment = scenario.segments[source.segment]
            plans.append(SegmentPlan(segment, self.roles))
            touch_roles.append(self.roles[segment.owners[source.function]])
        sources = stream.source.tolist()
        self.lead_plan = [plans[index] for index in sources]
        self.lead_role = [touch_roles[index] for index in sources]
        self.arrival = stream.arrival.tolist()
        self.touch_work = [column.tolist() for column in stream.touch_work]
        self.meeting_work = [column.tolist() for column in stream.meeting_work]
        self.u_qualify = stream.u_qualify.tolist()
        count = len(stream)
        self.first_touch = [-1.0] * count
        self.abandoned = [False] * count
        self.abandon_waits: list[float] = []
        self.deal_value = [0.0] * count
        self.stage_entered = [0.0] * count
        work = scenario.work
        self.touch_minutes = work.touch_minutes
        self.meeting_minutes = work.meeting_minutes
        self.onboarding_minutes = work.onboarding_minutes

    def _push(self, moment: float, kind: int, first, second) -> None:
        heappush(self.heap, (moment, next(self._sequence), kind, first, second))

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> RunResult:
        heap, handlers, horizon = self.heap, self.handlers, self.horizon
        arrivals = [*self.arrival, math.inf]
        next_lead, next_arrival = 0, arrivals[0]
        while True:
            if heap and heap[0][0] <= next_arrival:
                moment, _, kind, first, second = heappop(heap)
                if moment > horizon:
                    break
                self.now = moment
                handlers[kind](first, second)
            elif next_arrival <= horizon:
                self.now = next_arrival
                self._arrive(next_lead)
                next_lead += 1
                next_arrival = arrivals[next_lead]
            else:
                break
        self.now = horizon
        for rep, task in enumerate(self.rep_task):
            if task is not None:
                self.rep_role[rep].busy_minutes += horizon - self.rep_started[rep]
        self.counts.settle(horizon)
        return collect(self)

    # -- work assignment -------------------------------------------------------------------
    def _enqueue(self, role: RoleState, task: list) -> None:
        if role.unlimited:
            self._start_free(role, task)
        elif role.open and role.idle:
            self._start(role.idle.pop(), task)
        elif task[0] <= ONBOARD and role.open and self.preempt:
            victim = self._preemptible(role, task[0])
            if victim is None:
                role.queues[task[0]].append(task)
            else:
                self._interrupt(victim)
                self._start(victim, task)
        else:
            role.queues[task[0]].append(task)

    def _preemptible(self, role: RoleState, task_class: int) -> int | None:
        for lower in range(FOLLOW_UP, task_class, -1):
            if role.running[lower]:
                return next(iter(role.running[lower]))
        return None

    def _start(self, rep: int, task: list) -> None:
        role = self.rep_role[rep]
        now = self.now
        slowdown = role.slowdown
        if role.ramp_minutes and now - self.rep_hired[rep] < role.ramp_minutes:
            progress = (now - self.rep_hired[rep]) / role.ramp_minutes
            slowdown /= role.ramp_start + (1.0 - role.ramp_start) * progress
        task_class = task[0]
        if task_class == FIRST_TOUCH and self.first_touch[task[1]] < 0:
            self.first_touch[task[1]] = now
            self._move(task[1], WAITING, QUALIFYING)
        self.rep_task[rep] = task
        self.rep_started[rep] = now
        self.rep_slowdown[rep] = slowdown
        role.running[task_class].add(rep)
        event = (now + task[2] * slowdown, next(self._sequence), FINISH, rep, self.rep_version[rep])
        heappush(self.heap, event)

    def _start_free(self, role: RoleState, task: list) -> None:
        if task[0] == FIRST_TOUCH and self.first_touch[task[1]] < 0:
            self.first_touch[task[1]] = self.now
            self._move(task[1], WAITING, QUALIFYING)
        duration = task[2] * role.slowdown
        role.busy_minutes += duration
        self._push(self.now + duration, FREE_FINISH, role, task)

    def _interrupt(self, rep: int) -> None:
        task = self.rep_task[rep]
        role = self.rep_role[rep]
        elapsed = self.now - self.rep_started[rep]
        role.busy_minutes += elapsed
        task[2] = max(0.0, task[2] - elapsed / self.rep_slowdown[rep])
        role.running[task[0]].discard(rep)
        role.queues[task[0]].appendleft(task)
        self.rep_task[rep] = None
        self.rep_version[rep] += 1

    def _next_task(self, role: RoleState) -> list | None:
        abandoned = self.abandoned
        for queue in role.queues:
            while queue:
                task = queue.popleft()
                if task[0] != FIRST_TOUCH or not abandoned[task[1]]:
                    return task
        return None

    def _move(self, lead: int, leaving: int | None, entering: int | None) -> None:
        """Move a lead between stages, keeping each stage's count, area and sojourn."""
        counts, now = self.counts, self.now
        in_stage, area, changed = counts.in_stage, counts.area, counts.changed
        if leaving is not None:
            area[leaving] += in_stage[leaving] * (now - changed[leaving])
            changed[leaving] = now
            in_stage[leaving] -= 1
            counts.left[leaving] += 1
            counts.sojourn[leaving] += now - self.stage_entered[lead]
        if entering is not None:
            area[entering] += in_stage[entering] * (now - changed[entering])
            changed[entering] = now
            in_stage[entering] += 1
            counts.entered[entering] += 1
            self.stage_entered[lead] = now

    # -- event handlers --------------------------------------------------------------------
    def _arrive(self, lead: int) -> None:
        self._move(lead, None, WAITING)
        patience = self.scenario.patience_minutes
        if patience is not None:
            self._push(self.now + self.stream.patience[lead] * patience, ABANDON, lead, 0)
        work = self.touch_work[0][lead] * self.touch_minutes
        self._enqueue(self.lead_role[lead], [FIRST_TOUCH, lead, work, 0])

    def _finish(self, rep: int, version: int) -> None:
        if version != self.rep_version[rep]:
            return  # the task was interrupted; its remaining work is queued again
        task = self.rep_task[rep]
        role = self.rep_role[rep]
        role.busy_minutes += self.now - self.rep_started[rep]
        role.running[task[0]].discard(rep)
        self.rep_task[rep] = None
        self._complete(task, role)
        following = self._next_task(role) if role.open else None
        if following is None:
            role.idle.append(rep)
        else:
            self._start(rep, following)

    def _free_finish(self, role: RoleState, task: list) -> None:
        self._complete(task, role)

    def _complete(self, task: list, role: RoleState) -> None:
        task_class, lead, _, step = task
        plan = self.lead_plan[lead]
        if task_class == MEETING:
            kind = MEETING_DUE if step + 1 < plan.segment.meetings else DECIDE
            self._push(self.now + plan.cycle_gap, kind, lead, step + 1)
        elif task_class == ONBOARD:
            self._move(lead, ONBOARDING, None)
            self.counts.customers += 1
        elif step + 1 < plan.segment.touches:
            self._push(self.now + plan.touch_interval, TOUCH_DUE, lead, step + 1)
        else:
            self._qualify(lead, plan, role)

    def _qualify(self, lead: int, plan: SegmentPlan, role: RoleState) -> None:
        wait = self.first_touch[lead] - self.arrival[lead]
        chance = plan.segment.qualify_rate * self.curve.multiplier(wait)
        if self.u_qualify[lead] >= chance:
            self._move(lead, QUALIFYING, None)
            return
        self.counts.qualified += 1
        if plan.closer is role:
            self._move(lead, QUALIFYING, OPPORTUNITY)
            self._open_opportunity(lead, role)
        else:
            self._move(lead, QUALIFYING, HANDING_OFF)
            delay = self.stream.handoff_delay[lead] * self.scenario.handoff_delay_minutes
            self._push(self.now + delay, HANDOFF, lead, 0)

    def _handoff(self, lead: int, _: int) -> None:
        plan = self.lead_plan[lead]
        if self.stream.u_accept[lead] >= plan.segment.handoff_accept_rate:
            self._move(lead, HANDING_OFF, None)
            return
        self.counts.handoffs_accepted += 1
        self._move(lead, HANDING_OFF, OPPORTUNITY)
        self._open_opportunity(lead, plan.closer)

    def _open_opportunity(self, lead: int, closer: RoleState) -> None:
        self.counts.opportunities += 1
        limit = closer.capacity
        if limit is not None and closer.open_opportunities >= limit * closer.active_reps:
            closer.backlog.append(lead)
            return
        closer.open_opportunities += 1
        self._push(self.now, MEETING_DUE, lead, 0)

    def _open_waiting(self, closer: RoleState) -> None:
        closer.open_opportunities += 1
        self._push(self.now, MEETING_DUE, closer.backlog.popleft(), 0)

    def _meeting_due(self, lead: int, step: int) -> None:
        work = self.meeting_work[step][lead] * self.meeting_minutes
        self._enqueue(self.lead_plan[lead].closer, [MEETING, lead, work, step])

    def _decide(self, lead: int, _: int) -> None:
        plan = self.lead_plan[lead]
        segment, closer = plan.segment, plan.closer
        closer.open_opportunities -= 1
        if closer.backlog:
            self._open_waiting(closer)
        if self.stream.u_win[lead] >= segment.win_rate:
            self._move(lead, OPPORTUNITY, None)
            return
        sigma = plan.sigma
        value = segment.deal_size * math.exp(sigma * self.stream.deal_normal[lead] - sigma**2 / 2)
        self.deal_value[lead] = value
        self.counts.won += 1
        self.counts.new_revenue += value
        if self.now + YEAR_MINUTES <= self.horizon:
            self._push(self.now + YEAR_MINUTES, RENEW, lead, 1)
        if plan.post_sales is None:
            self._move(lead, OPPORTUNITY, None)
            self.counts.customers += 1
            return
        self._move(lead, OPPORTUNITY, ONBOARDING)
        work = self.stream.onboarding_work[lead] * self.onboarding_minutes
        self._enqueue(plan.post_sales, [ONBOARD, lead, work, 0])

    def _renew(self, lead: int, year: int) -> None:
        segment = self.lead_plan[lead].segment
        # One uniform per lead, stepped by the golden ratio: a fresh draw each year.
        luck = (self.stream.u_renew[lead] + (year - 1) * _GOLDEN) % 1.0
        if luck < segment.annual_churn:
            return
        self.counts.renewals += 1
        self.counts.renewal_revenue += self.deal_value[lead] * segment.renewal_share
        if self.now + YEAR_MINUTES <= self.horizon:
            self._push(self.now + YEAR_MINUTES, RENEW, lead, year + 1)

    def _touch_due(self, lead: int, step: int) -> None:
        work = self.touch_work[step][lead] * self.touch_minutes
        self._enqueue(self.lead_role[lead], [FOLLOW_UP, lead, work, step])

    def _abandon(self, lead: int, _: int) -> None:
        if self.first_touch[lead] < 0 and not self.abandoned[lead]:
            self.abandoned[lead] = True
            self.abandon_waits.append(self.now - self.arrival[lead])
            self._move(lead, WAITING, None)

    def _shift(self, role: RoleState, opens: bool) -> None:
        role.open = opens
        while opens and role.idle:
            task = self._next_task(role)
            if task is None:
                break
            self._start(role.idle.pop(), task)

    def _hire(self, rep: int, _: int) -> None:
        role = self.rep_role[rep]
        role.active_reps += 1
        task = self._next_task(role) if role.open else None
        if task is None:
            role.idle.append(rep)
        else:
            self._start(rep, task)
        while role.backlog and (
            role.capacity is None or role.open_opportunities < role.capacity * role.active_reps
        ):
            self._open_waiting(role)


def simulate(scenario: Scenario, stream: LeadStream) -> RunResult:
    return Engine(scenario, stream).run()
