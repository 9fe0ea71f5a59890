"""The pure plan: who gets which journey, and in which week."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from salesrelay.playbook import load_template
from salesrelay.restructure.plan import plan_restructure
from salesrelay.restructure.schemas import OpenJourney, Progress, TeamMember

FOUR_ROLE = load_template("four-role")
START = date(2027, 1, 4)
STAGES = ("new", "qualifying", "prospecting", "proposal", "negotiation", "onboarding", "customer")


def journey(number: int, stage: str, owner: int = 1, account: int | None = None) -> OpenJourney:
    account = account if account is not None else number
    return OpenJourney(number, account, f"Account {account}", stage, owner)


def rep(number: int, *roles: str, capacity: int = 50, open_journeys: int = 0, **extra):
    return TeamMember(
        number, f"Rep {number}", f"rep{number}@seller.example", frozenset(roles), capacity,
        open_journeys, **extra,
    )  # fmt: skip


def generalist(number: int, open_journeys: int) -> TeamMember:
    return rep(number, "generalist", capacity=100, open_journeys=open_journeys)


def test_a_journey_goes_to_the_role_that_owns_its_stage_and_a_right_owner_keeps_it():
    team = [
        generalist(1, 3),
        rep(2, "closing", open_journeys=1),
        rep(3, "inbound_qualification"),
        rep(4, "account_management"),
    ]
    journeys = [
        journey(1, "qualifying"),
        journey(2, "proposal"),
        journey(3, "customer"),
        journey(4, "negotiation", owner=2),
    ]
    plan = plan_restructure(FOUR_ROLE, journeys=journeys, team=team, start=START, weeks=2)
    receivers = {move.journey_id: move.to_rep_id for move in plan.moves}
    assert receivers == {1: 3, 2: 2, 3: 4}
    assert [(k.journey_id, k.rep_id) for k in plan.kept] == [(4, 2)]
    assert all(move.status == "planned" and move.from_rep_id == 1 for move in plan.moves)


def test_moves_are_balanced_by_capacity():
    team = [generalist(1, 60), rep(2, "closing", capacity=10), rep(3, "closing", capacity=30)]
    journeys = [journey(n, "proposal") for n in range(1, 41)]
    plan = plan_restructure(FOUR_ROLE, journeys=journeys, team=team, start=START, weeks=4)
    loads = Counter(move.to_rep_id for move in plan.moves)
    assert loads == {2: 10, 3: 30}  # both full: 10 of 10 and 30 of 30
    plan = plan_restructure(FOUR_ROLE, journeys=journeys[:20], team=team, start=START, weeks=4)
    loads = Counter(move.to_rep_id for move in plan.moves)
    assert loads == {2: 5, 3: 15}  # the same share of each capacity
    after = {load.rep_id: load.after for load in plan.loads}
    assert after == {1: 40, 2: 5, 3: 15}


def test_an_existing_load_counts_and_nobody_goes_over_capacity():
    team = [generalist(1, 12), rep(2, "closing", capacity=10, open_journeys=8), rep(3, "closing")]
    plan = plan_restructure(
        FOUR_ROLE,
        journeys=[journey(n, "proposal") for n in range(1, 13)],
        team=team,
        start=START,
        weeks=1,
    )
    loads = Counter(move.to_rep_id for move in plan.moves)
    assert loads == {3: 12}  # rep 2 at 80% already; rep 3 stays below it until 12 of 50
    full = plan_restructure(
        FOUR_ROLE,
        journeys=[journey(1, "proposal")],
        team=[generalist(1, 1), rep(2, "closing", capacity=3, open_journeys=3)],
        start=START,
        weeks=1,
    )
    assert not full.moves
    (held,) = full.held
    assert (
        held.kind == "no_room" and "Rep 2 3/3" in held.reason and "raise a capacity" in held.reason
    )


def test_an_account_stays_with_one_rep_and_with_the_rep_who_already_works_it():
    team = [
        generalist(1, 6),
        rep(2, "closing", capacity=100),
        rep(3, "closing", capacity=100),
        rep(4, "account_management", open_journeys=1),
        rep(5, "account_management"),
    ]
    journeys = [
        journey(1, "proposal", account=7),
        journey(2, "negotiation", account=7),
        journey(3, "proposal", account=7),
        journey(4, "customer", account=8),
        journey(5, "customer", account=8, owner=4),  # kept: rep 4 is an account manager
        journey(6, "customer", account=9),
        journey(7, "customer", account=9),
    ]
    plan = plan_restructure(FOUR_ROLE, journeys=journeys, team=team, start=START, weeks=3)
    receivers = {move.journey_id: move.to_rep_id for move in plan.moves}
    assert len({receivers[1], receivers[2], receivers[3]}) == 1
    assert receivers[4] == 4
    (to_rep_4,) = [m for m in plan.moves if m.journey_id == 4]
    assert "keeps Account 8 with Rep 4, who already works it" in to_rep_4.reasons
    assert receivers[6] == receivers[7] == 5  # the least loaded account manager, both together
    weeks = {move.week for move in plan.moves if move.account_id == 7}
    assert len(weeks) == 1  # an account moves in one week


def test_journeys_that_cannot_move_say_why_and_stay():
    team = [generalist(1, 4), rep(2, "inbound_qualification", paused=True)]
    journeys = [
        journey(1, "qualifying"),
        journey(2, "proposal"),
        journey(3, "trial"),
        OpenJourney(4, 4, "Account 4", "new", None),
        journey(5, "new"),
    ]
    plan = plan_restructure(
        FOUR_ROLE, journeys=journeys, team=team, start=START, weeks=2, waiting={5: 99}
    )
    held = {h.journey_id: (h.kind, h.reason) for h in plan.held}
    assert held[1] == (
        "no_receiver",
        "every rep in 'inbound_qualification' is paused or has capacity 0",
    )
    assert held[2][0] == "no_receiver" and "nobody holds the role 'closing'" in held[2][1]
    assert held[3][0] == "unknown_stage" and "stage 'trial' is not in four-role" in held[3][1]
    assert held[4][0] == "queued"
    assert held[5] == ("waiting", "waits for handoff 99; planned once it is answered")
    assert not plan.moves


def test_each_week_moves_an_even_share_of_every_receivers_work_earliest_stages_first():
    team = [generalist(1, 36), rep(2, "inbound_qualification", capacity=100)]
    team += [rep(3, "closing", capacity=100), rep(4, "account_management", capacity=100)]
    stages = ["negotiation"] * 6 + ["customer"] * 12 + ["new"] * 6 + ["qualifying"] * 6
    stages += ["proposal"] * 6
    journeys = [journey(n, stage) for n, stage in enumerate(stages, start=1)]
    plan = plan_restructure(FOUR_ROLE, journeys=journeys, team=team, start=START, weeks=6)
    assert [len(phase.moves) for phase in plan.phases] == [6] * 6
    for phase in plan.phases:
        roles = Counter(m.role for m in phase.moves)
        assert roles == {"inbound_qualification": 2, "account_management": 2, "closing": 2}
        assert phase.moves[0].role == "inbound_qualification"  # leads first within a week
    stages_by_week = [sorted({m.stage for m in phase.moves}) for phase in plan.phases]
    assert stages_by_week[0] == ["customer", "new", "proposal"]
    assert stages_by_week[5] == ["customer", "negotiation", "qualifying"]  # nearest to closing last
    assert plan.phases[1].starts_on == date(2027, 1, 11)
    assert plan.phases[1].ends_on == date(2027, 1, 17)


def test_the_current_week_is_due_with_any_earlier_week_left_over():
    team = [generalist(1, 4), rep(2, "closing", capacity=100)]
    plan = plan_restructure(
        FOUR_ROLE,
        journeys=[journey(n, "proposal") for n in range(1, 5)],
        team=team,
        start=START,
        weeks=4,
    )
    assert plan.week_on(date(2027, 1, 3)) is None and plan.due(date(2027, 1, 3)) == []
    assert [m.journey_id for m in plan.due(START)] == [1]
    assert [m.journey_id for m in plan.due(date(2027, 1, 18))] == [1, 2, 3]
    assert plan.week_on(date(2027, 6, 1)) == 3 and len(plan.due(date(2027, 6, 1))) == 4


def test_earlier_runs_keep_their_weeks_and_refusing_receivers_are_left_out():
    team = [generalist(1, 3), rep(2, "closing", open_journeys=1), rep(3, "closing")]
    journeys = [journey(1, "proposal"), journey(2, "proposal"), journey(3, "proposal", owner=2)]
    progress = {3: Progress(3, 10, "moved", 2, 1, 2), 1: Progress(1, 11, "pending", 0, 1, 3)}
    plan = plan_restructure(
        FOUR_ROLE, journeys=journeys, team=team, start=START, weeks=3,
        progress=progress, refused={2: [3]},
    )  # fmt: skip
    moves = {m.journey_id: m for m in plan.moves}
    assert (moves[3].status, moves[3].week, moves[3].handoff_id) == ("moved", 2, 10)
    assert (moves[1].status, moves[1].week, moves[1].to_rep_id) == ("pending", 0, 3)
    assert (moves[2].status, moves[2].to_rep_id) == ("planned", 2)  # rep 3 refused it
    assert not plan.kept  # journey 3 counts as moved by the restructure, not as kept
    assert [m.journey_id for m in plan.due(START)] == [2]  # proposed ones are not due again


team_strategy = st.lists(
    st.tuples(
        st.sampled_from(["closing", "inbound_qualification", "account_management", "generalist"]),
        st.integers(0, 30),
    ),
    min_size=1,
    max_size=8,
)
journey_strategy = st.lists(
    st.tuples(st.sampled_from(STAGES), st.integers(1, 12), st.integers(1, 9)),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(team_strategy, journey_strategy, st.integers(1, 13))
def test_every_journey_is_placed_once_in_order_and_within_capacity(roles, entries, weeks):
    team = [rep(n, role, capacity=capacity) for n, (role, capacity) in enumerate(roles, start=1)]
    ids = {member.id for member in team}
    journeys = [
        journey(n, stage, owner=owner if owner in ids else 1, account=account)
        for n, (stage, account, owner) in enumerate(entries, start=1)
    ]
    loads = Counter(j.owner_id for j in journeys)
    team = [TeamMember(**{**_fields(m), "open_journeys": loads[m.id]}) for m in team]
    plan = plan_restructure(FOUR_ROLE, journeys=journeys, team=team, start=START, weeks=weeks)

    placed = [m.journey_id for m in plan.moves] + [k.journey_id for k in plan.kept]
    placed += [h.journey_id for h in plan.held]
    assert sorted(placed) == [j.id for j in journeys]  # every journey exactly once
    assert len(plan.phases) == weeks and all(0 <= m.week < weeks for m in plan.moves)
    after = {load.rep_id: load.after for load in plan.loads}
    members = {m.id: m for m in team}
    for rep_id in {m.to_rep_id for m in plan.moves}:
        assert after[rep_id] <= members[rep_id].capacity
        assert all(members[rep_id].holds(m.role) for m in plan.moves if m.to_rep_id == rep_id)
    units = defaultdict(set)
    for move in plan.moves:
        units[(move.account_id, move.role)].add((move.to_rep_id, move.week))
    assert all(len(unit) == 1 for unit in units.values())  # one rep, one week per account-role
    stage_order = {stage: index for index, stage in enumerate(s.id for s in FOUR_ROLE.stages)}
    lanes = defaultdict(list)
    for move in plan.moves:
        lanes[(move.role, move.to_rep_id)].append(move)
    for lane in lanes.values():  # each receiver's work: earliest stages in the earliest weeks
        firsts = {}
        for m in lane:
            key = (m.account_id, m.role)
            firsts[key] = min(firsts.get(key, 99), stage_order[m.stage])
        weeks_in_order = [
            m.week for m in sorted(lane, key=lambda m: (firsts[m.account_id, m.role], m.account_id))
        ]
        assert weeks_in_order == sorted(weeks_in_order)
    sizes = [len(phase.moves) for phase in plan.phases]
    if plan.moves:
        biggest = max(Counter((m.account_id, m.role) for m in plan.moves).values())
        assert max(sizes[:-1] or [0]) <= -(-len(plan.moves) // weeks) + biggest


def _fields(member: TeamMember) -> dict:
    return {name: getattr(member, name) for name in TeamMember.__slots__}
