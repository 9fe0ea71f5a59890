import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from salesrelay.calendar import parse_hours
from salesrelay.playbook import schema
from salesrelay.routing.conditions import compile_conditions
from salesrelay.routing.engine import RepProfile, RoutingEngine, RoutingState

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tuesday: 10:00 in New York, 16:00 in Berlin
OFFICE = parse_hours("mon-fri 09:00-17:00")
TEMPLATE = Path(__file__).parents[2] / "src/salesrelay/playbook/templates/four-role.yaml"


def rep(rep_id, name=None, roles=("inbound_qualification",), tags=(), **fields):
    return RepProfile(
        id=rep_id,
        email=f"rep{rep_id}@example.com",
        name=name or f"Rep {rep_id}",
        roles=frozenset(roles),
        tags=frozenset(tags),
        **fields,
    )


def engine(rules, reps, fallback="queue", default_role=None):
    routing = schema.Routing(rules=[schema.RoutingRule(**r) for r in rules], fallback=fallback)
    return RoutingEngine(routing, reps, default_role=default_role)


def pool_rule(method="round_robin", when=None, role="inbound_qualification", **pool):
    return {"name": method, "when": when or {}, "pool": {"role": role, **pool}, "method": method}


def picks(routing_engine, count, lead=None, state=None, now=NOW):
    state = state if state is not None else RoutingState()
    return [routing_engine.decide(lead or {}, now=now, state=state).rep_id for _ in range(count)]


# -- conditions -------------------------------------------------------------------------
def holds(when, lead):
    return all(condition.holds(lead) for condition in compile_conditions(when))


@pytest.mark.parametrize(
    ("when", "lead", "expected"),
    [
        ({"country": "de"}, {"country": "DE"}, True),
        ({"country": "de"}, {"country": "FR"}, False),
        ({"account.is_customer": True}, {"account": {"is_customer": True}}, True),
        ({"account.is_customer": True}, {"account": {"is_customer": 1}}, False),
        ({"employees": 50}, {"employees": 50}, True),
        ({"country": {"ne": "US"}}, {"country": "us"}, False),
        ({"country": {"ne": "US"}}, {"country": "CA"}, True),
        ({"country": {"ne": "US"}}, {}, True),
        ({"source": {"in": ["Outbound", "list"]}}, {"source": "outbound"}, True),
        ({"source": {"in": ["outbound", "list"]}}, {"source": "web"}, False),
        ({"source": {"in": ["outbound"]}}, {}, False),
        ({"source": {"not_in": ["outbound"]}}, {"source": "web"}, True),
        ({"source": {"not_in": ["outbound"]}}, {}, False),
        ({"employees": {"gt": 1000}}, {"employees": 1000}, False),
        ({"employees": {"gte": 1000}}, {"employees": 1000}, True),
        ({"employees": {"lt": 1000}}, {"employees": 999.5}, True),
        ({"employees": {"lte": 1000}}, {"employees": 1001}, False),
        ({"employees": {"gte": 100, "lt": 1000}}, {"employees": 500}, True),
        ({"employees": {"gte": 100, "lt": 1000}}, {"employees": 5000}, False),
        ({"employees": {"gte": 10}}, {"employees": None}, False),
        ({"employees": {"gte": 10}}, {"employees": "many"}, False),
        ({"website": {"exists": True}}, {"website": "https://a.example"}, True),
        ({"website": {"exists": False}}, {"website": None}, True),
        ({"website": None}, {}, True),
        ({"industry": {"contains": "FIN"}}, {"industry": "Fintech"}, True),
        ({"attributes.tags": {"contains": "vip"}}, {"attributes": {"tags": ["VIP", "x"]}}, True),
        ({"attributes": {"contains": "plan"}}, {"attributes": {"plan": "pro"}}, True),
        ({"industry": {"contains": "fin"}}, {}, False),
        ({"attributes.plan": "pro"}, {"attributes": {"plan": "Pro"}}, True),
        ({"attributes.plan": "pro"}, {"attributes": "pro"}, False),
        ({"attributes.plan.tier": {"exists": False}}, {"attributes": {"plan": "pro"}}, True),
    ],
)
def test_condition_operators(when, lead, expected):
    assert holds(when, lead) is expected


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ({"employees": {"gtee": 5}}, "unknown operator 'gtee'; use one of eq, ne, in"),
        ({"source": {"in": "outbound"}}, "take a list"),
        ({"website": {"exists": "yes"}}, "true or false"),
        ({"employees": {"gte": [1]}}, "compares with a number or text"),
        ({"employees": {}}, "give a value or operators"),
        ({"account..plan": 1}, "dotted path"),
    ],
)
def test_bad_conditions_say_what_to_write(when, message):
    with pytest.raises(ValueError, match=message) as error:
        compile_conditions(when, rule="big deals")
    assert "rule 'big deals'" in str(error.value)


def test_conditions_describe_what_held():
    lead = {"employees": 1200, "source": "list", "country": "DE", "website": "x"}
    when = {
        "employees": {"gte": 1000},
        "source": {"in": ["outbound", "list"]},
        "country": {"ne": "US"},
        "website": {"exists": True},
    }
    assert [condition.describe(lead) for condition in compile_conditions(when)] == [
        "employees 1200 ≥ 1000",
        "source list is in [outbound, list]",
        "country is DE, not US",
        "website is present",
    ]


# -- methods ----------------------------------------------------------------------------
def test_round_robin_rotates_in_id_order_and_explains():
    team = [rep(3, "Cy Diaz"), rep(1, "Ana Silva"), rep(2, "Bo Chen")]
    rules = [pool_rule(when={"employees": {"gte": 1000}})]
    state = RoutingState()
    decision = engine(rules, team).decide({"employees": 1200}, now=NOW, state=state)
    assert decision.rep_id == 1 and decision.rule == "round_robin"
    assert decision.candidates == (1, 2, 3) and decision.fallback is None
    assert decision.reasons == (
        "rule 'round_robin' matched: employees 1200 ≥ 1000",
        "picked Ana Silva by round robin (next in turn among 3 available)",
    )
    assert state.cursors == {"inbound_qualification": 1} and state.open_counts == {1: 1}
    assert picks(engine(rules, team), 5, {"employees": 1200}, state) == [2, 3, 1, 2, 3]


def test_pools_need_the_role_and_every_tag():
    team = [rep(1, tags=["enterprise"]), rep(2), rep(3, roles=["closing"], tags=["enterprise"])]
    routing_engine = engine([pool_rule(tags=["enterprise"])], team)
    assert picks(routing_engine, 3) == [1, 1, 1]


def test_weighted_follows_smooth_weighted_round_robin():
    team = [rep(1, weight=5), rep(2, weight=1), rep(3, weight=1)]
    decisions = picks(engine([pool_rule("weighted")], team), 7)
    assert decisions == [1, 1, 2, 1, 3, 1, 1]


def test_load_balanced_picks_the_lowest_share_then_rotates_ties():
    team = [rep(1, capacity=10), rep(2, capacity=40), rep(3, capacity=40)]
    state = RoutingState(open_counts={1: 5, 2: 10, 3: 10})
    routing_engine = engine([pool_rule("load_balanced")], team)
    decision = routing_engine.decide({}, now=NOW, state=state)
    assert decision.rep_id == 2  # 10/40 beats 5/10; 2 and 3 tie, 2 comes first
    assert decision.reasons[-1] == (
        "picked Rep 2 by load (10/40 open, the lowest share among 3 available)"
    )
    assert picks(routing_engine, 2, state=state) == [3, 2]


def test_account_owner_gets_the_lead_when_available():
    team = [rep(1, "Ana Silva", roles=["account_management"]), rep(2)]
    rules = [
        {"name": "owner", "when": {"account.is_customer": True}, "method": "account_owner"},
        pool_rule(),
    ]
    lead = {"account": {"is_customer": True, "owner_rep_id": 1}}
    decision = engine(rules, team).decide(lead, now=NOW, state=RoutingState())
    assert (decision.rep_id, decision.rule, decision.candidates) == (1, "owner", (1,))
    assert decision.reasons[-1] == "picked Ana Silva as the account owner"
    no_owner = {"account": {"is_customer": True, "owner_rep_id": None}}
    decision = engine(rules, team).decide(no_owner, now=NOW, state=RoutingState())
    assert decision.rep_id == 2 and "the account has no owner" in decision.reasons[1]


def test_account_owner_must_hold_the_pool_role_when_the_rule_has_a_pool():
    team = [rep(1, roles=["closing"]), rep(2, roles=["account_management"])]
    rules = [
        {"name": "owner", "method": "account_owner", "pool": {"role": "account_management"}},
        {"name": "anyone", "pool": {"role": "account_management"}},
    ]
    decision = engine(rules, team).decide(
        {"account": {"owner_rep_id": 1}}, now=NOW, state=RoutingState()
    )
    assert decision.rep_id == 2 and decision.rule == "anyone"
    assert "rule 'owner' found nobody available; trying the next rule" in decision.reasons


def test_named_rep_takes_the_first_available_in_the_listed_order():
    team = [rep(1), rep(2, paused=True), rep(3), rep(4, roles=["closing"])]
    emails = ["rep4@example.com", "rep2@example.com", "REP3@example.com", "nobody@example.com"]
    routing_engine = engine([pool_rule("named_rep", reps=emails)], team)
    decision = routing_engine.decide({}, now=NOW, state=RoutingState())
    assert decision.rep_id == 3
    assert decision.skipped == ((4, "lacks role inbound_qualification"), (2, "paused"))
    assert routing_engine.problems == (
        "rule 'named_rep': no rep has the e-mail 'nobody@example.com'",
    )


# -- availability -----------------------------------------------------------------------
def test_unavailable_reps_are_skipped_with_reasons():
    away = ((NOW - timedelta(days=1), datetime(2026, 3, 10, 4, 0, tzinfo=UTC)),)  # 00:00 EDT
    team = [
        rep(1, "Ana Silva", paused=True),
        rep(2, "Bo Chen", out_of_office=away, timezone="America/New_York"),
        rep(3, "Cy Diaz", capacity=2),
        rep(4, "Di Eng"),
    ]
    state = RoutingState(open_counts={3: 2})
    decision = engine([pool_rule()], team).decide({}, now=NOW, state=state)
    assert decision.rep_id == 4
    assert decision.skipped == ((1, "paused"), (2, "out of office"), (3, "at capacity 2/2"))
    assert "skipped Bo Chen: out of office until 2026-03-10" in decision.reasons
    assert "skipped Cy Diaz: at capacity 2/2" in decision.reasons
    assert "skipped Ana Silva: paused" in decision.reasons


def test_out_of_office_is_exact_to_the_second():
    back = NOW + timedelta(seconds=30)
    team = [rep(1, out_of_office=((NOW - timedelta(hours=1), back),)), rep(2)]
    routing_engine = engine([pool_rule()], team)
    state = RoutingState()
    assert routing_engine.decide({}, now=NOW + timedelta(seconds=10), state=state).rep_id == 2
    assert routing_engine.decide({}, now=back, state=state).rep_id == 1


def test_reps_in_working_hours_come_first():
    team = [
        rep(1, "Ana Silva", timezone="Asia/Tokyo", hours=OFFICE),  # 00:00 in Tokyo
        rep(2, "Bo Chen", timezone="America/New_York", hours=OFFICE),
    ]
    decision = engine([pool_rule()], team).decide({}, now=NOW, state=RoutingState())
    assert decision.rep_id == 2
    assert decision.skipped == ((1, "outside working hours"),)
    assert "skipped Ana Silva: outside working hours" in decision.reasons


def test_off_hours_reps_only_when_nobody_is_working():
    night = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)  # 23:00 New York, 05:00 Berlin
    team = [
        rep(1, "Ana Silva", timezone="America/New_York", hours=OFFICE),
        rep(2, "Bo Chen", timezone="Europe/Berlin", hours=OFFICE),
    ]
    decision = engine([pool_rule()], team).decide({}, now=night, state=RoutingState())
    assert decision.rep_id == 1  # round robin among the off-hours reps
    assert "nobody in the pool is working now; Bo Chen starts first" in decision.reasons
    assert decision.reasons[-1].endswith("(next in turn among 2 available off hours)")
    full = RoutingState(open_counts={3: 50})
    team.append(rep(3, "Cy Diaz"))
    decision = engine([pool_rule()], team).decide({}, now=night, state=full)
    assert "nobody working now is free; Bo Chen starts first" in decision.reasons


def test_a_matching_rule_with_nobody_available_falls_through():
    team = [rep(1, tags=["enterprise"], paused=True), rep(2)]
    rules = [pool_rule(when={"employees": {"gte": 1000}}, tags=["enterprise"]), pool_rule()]
    rules[1]["name"] = "everyone"
    decision = engine(rules, team).decide({"employees": 5000}, now=NOW, state=RoutingState())
    assert (decision.rep_id, decision.rule, decision.candidates) == (2, "everyone", (1, 2))
    assert decision.reasons[2] == "rule 'round_robin' found nobody available; trying the next rule"


def test_queue_fallback():
    team = [rep(1, paused=True)]
    decision = engine([pool_rule()], team).decide({}, now=NOW, state=RoutingState())
    assert (decision.rep_id, decision.fallback, decision.rule) == (None, "queue", None)
    assert decision.candidates == (1,) and decision.skipped == ((1, "paused"),)
    unmatched = engine([pool_rule(when={"country": "DE"})], team)
    decision = unmatched.decide({}, now=NOW, state=RoutingState())
    assert decision.reasons == ("no rule matched", "queued for the next available rep")


def test_manager_fallback():
    team = [rep(1, paused=True, manager_id=9), rep(9, "Mo Gee", roles=["manager"])]
    state = RoutingState()
    decision = engine([pool_rule()], team, fallback="manager").decide({}, now=NOW, state=state)
    assert (decision.rep_id, decision.fallback) == (9, "manager") and state.open_counts == {9: 1}
    assert decision.reasons[-1] == "sent to Mo Gee, manager of Rep 1, as nobody was available"
    gone = engine([pool_rule()], team[:1], fallback="manager")
    decision = gone.decide({}, now=NOW, state=RoutingState())
    assert (decision.rep_id, decision.fallback) == (None, "queue")
    assert decision.reasons[-1] == "Rep 1's manager (rep 9) is not on the team; queued"


def test_default_role_is_the_pool_of_rules_without_one():
    team = [rep(1, roles=["closing"]), rep(2)]
    rules = [{"name": "all", "method": "round_robin"}]
    assert picks(engine(rules, team, default_role="closing"), 2) == [1, 1]
    assert picks(engine(rules, team), 2) == [1, 2]


def test_bad_setups_are_refused():
    with pytest.raises(ValueError, match="appears twice"):
        engine([], [rep(1), rep(1)])
    with pytest.raises(ValueError, match=r"list e-mails in pool\.reps"):
        engine([{"name": "x", "method": "named_rep"}], [rep(1)])
    with pytest.raises(ValueError, match="no time zone"):
        engine([], [rep(1)]).decide({}, now=datetime(2026, 3, 3), state=RoutingState())
    assert engine([pool_rule(role="closing")], [rep(1)]).problems == (
        "rule 'round_robin': nobody is in its pool closing",
    )


def test_the_four_role_template_routes():
    routing = schema.Routing(**yaml.safe_load(TEMPLATE.read_text())["routing"])
    team = [rep(1, tags=["enterprise"]), rep(2), rep(3, roles=["outbound_prospecting"])]
    routing_engine = RoutingEngine(routing, team)
    state = RoutingState()
    assert routing_engine.decide({"employees": 1200}, now=NOW, state=state).rep_id == 1
    assert routing_engine.decide({"source": "list"}, now=NOW, state=state).rep_id == 3
    assert picks(routing_engine, 2, {"source": "web"}, state) == [1, 2]


# -- properties -------------------------------------------------------------------------
leads = st.fixed_dictionaries(
    {
        "employees": st.sampled_from([None, 10, 500, 5000]),
        "source": st.sampled_from(["web", "list"]),
    }
)


@given(st.integers(2, 8), st.lists(leads, max_size=60))
def test_round_robin_never_lets_a_rep_fall_two_behind(size, sequence):
    # Two rules over the same pool share one rotation.
    rules = [pool_rule(when={"source": "list"}), {**pool_rule(), "name": "rest"}]
    routing_engine = engine(rules, [rep(i, capacity=10_000) for i in range(1, size + 1)])
    counts, state = dict.fromkeys(range(1, size + 1), 0), RoutingState()
    for lead in sequence:
        counts[routing_engine.decide(lead, now=NOW, state=state).rep_id] += 1
        assert max(counts.values()) - min(counts.values()) <= 1


@given(st.integers(2, 6), st.lists(st.lists(st.booleans(), min_size=6, max_size=6), max_size=60))
def test_round_robin_is_fair_to_reps_that_are_always_free(size, free_per_lead):
    team = [rep(i, capacity=1) for i in range(1, size + 1)]
    always = {1, size}  # the others are sometimes full
    routing_engine, state = engine([pool_rule()], team), RoutingState()
    counts = dict.fromkeys(always, 0)
    for free in free_per_lead:
        state.open_counts = {i: 0 if i in always or free[i - 1] else 1 for i in range(1, size + 1)}
        picked = routing_engine.decide({}, now=NOW, state=state).rep_id
        counts[picked] = counts.get(picked, 0) + 1
        assert abs(counts[1] - counts[size]) <= 1


rep_setups = st.fixed_dictionaries(
    {
        "paused": st.booleans(),
        "away": st.booleans(),
        "capacity": st.integers(0, 3),
        "open": st.integers(0, 3),
        "zone": st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York"]),
        "weight": st.integers(0, 3),
    }
)


@given(
    st.lists(rep_setups, min_size=1, max_size=8),
    st.sampled_from(["round_robin", "weighted", "load_balanced", "named_rep"]),
    st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
)
def test_no_lead_goes_to_an_unavailable_rep_while_another_is_free(setups, method, now):
    away = ((now - timedelta(minutes=1), now + timedelta(seconds=1)),)
    team = [
        rep(i, paused=s["paused"], capacity=s["capacity"], weight=s["weight"], hours=OFFICE,
            timezone=s["zone"], out_of_office=away if s["away"] else ())
        for i, s in enumerate(setups, start=1)
    ]  # fmt: skip
    open_counts = {i: s["open"] for i, s in enumerate(setups, start=1)}
    emails = [member.email for member in team]
    routing_engine = engine([pool_rule(method, reps=emails)], team)
    decision = routing_engine.decide({}, now=now, state=RoutingState(dict(open_counts)))
    free = [
        member
        for member in team
        if not member.paused
        and not member.out_of_office
        and open_counts[member.id] < member.capacity
        and (member.weight > 0 or method != "weighted")
    ]
    working = [m for m in free if OFFICE.is_open(now.astimezone(ZoneInfo(m.timezone)))]
    if decision.rep_id is None:
        assert not free
    else:
        assert decision.rep_id in {m.id for m in (working or free)}


@given(st.lists(st.integers(1, 5), min_size=1, max_size=6), st.integers(1, 3))
def test_weighted_shares_match_weights_over_a_full_cycle(weights, cycles):
    team = [rep(i, weight=w, capacity=10_000) for i, w in enumerate(weights, start=1)]
    decisions = picks(engine([pool_rule("weighted")], team), sum(weights) * cycles)
    for rep_id, weight in enumerate(weights, start=1):
        assert abs(decisions.count(rep_id) - weight * cycles) <= 1


@given(st.lists(leads, min_size=1, max_size=40), st.data())
def test_state_survives_a_restart(sequence, data):
    team = [rep(i, weight=1 + i % 3, capacity=10_000) for i in range(1, 6)]
    rules = [
        pool_rule("weighted", when={"employees": {"gte": 1000}}),
        pool_rule("load_balanced", when={"source": "list"}),
        pool_rule(),
    ]
    straight = picks_for(engine(rules, team), sequence, RoutingState())
    cut = data.draw(st.integers(0, len(sequence)))
    state = RoutingState()
    before = picks_for(engine(rules, team), sequence[:cut], state)
    restored = RoutingState.from_json(json.loads(json.dumps(state.to_json())))
    assert restored == state
    assert before + picks_for(engine(rules, team), sequence[cut:], restored) == straight


def picks_for(routing_engine, sequence, state):
    return [routing_engine.decide(lead, now=NOW, state=state).rep_id for lead in sequence]
