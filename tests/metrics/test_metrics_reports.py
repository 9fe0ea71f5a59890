"""Every report on the hand-built history (tests/metrics/history.py), with the answers worked
out by hand in the comments, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from metrics.history import NOW, PERIOD, build
from salesrelay.db import transaction
from salesrelay.errors import InvalidInputError
from salesrelay.metrics import queries


@pytest.fixture
def history(factory):
    return build(factory)


def run(factory, name, *, start=PERIOD[0], end=PERIOD[1], **params):
    with transaction(factory) as session:
        return queries.report(session=session, name=name, now=NOW, start=start, end=end, **params)


def rows(report, section=None):
    return report.section(section).rows


def one(report, section=None, **match):
    found = [r for r in rows(report, section) if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, rows(report, section))
    return found[0]


def test_speed_to_lead(factory, history):
    report = run(factory, "speed-to-lead")
    (total,) = rows(report)
    # Leads that arrived in November: J1-J6, J8, J9. J3 and J5 were never touched (both open).
    assert total["leads"] == 8
    assert (total["touched"], total["never_touched"], total["waiting"]) == (6, 2, 2)
    # Wall minutes, sorted: 1 (J9), 3 (J1), 4 (J8), 20 (J6), 60 (J4), 1000 (J2: Mon 21:30 to
    # Tue 14:10). NumPy's linear percentiles with n = 6: p50 at index 2.5 → 4 + 0.5·16 = 12;
    # p90 at 4.5 → 60 + 0.5·940 = 530; p99 at 4.95 → 60 + 0.95·940 = 953.
    assert (total["wall_p50_min"], total["wall_p90_min"], total["wall_p99_min"]) == (
        pytest.approx(12.0),
        pytest.approx(530.0),
        pytest.approx(953.0),
    )
    assert total["wall_mean_min"] == pytest.approx(1088 / 6)
    # Business minutes: J2 waited 30 minutes on Monday (16:30-17:00 New York) and 10 on
    # Tuesday = 40; the rest fell inside business hours: 1, 3, 4, 20, 40, 60.
    assert total["business_p50_min"] == pytest.approx(12.0)
    assert total["business_p90_min"] == pytest.approx(50.0)
    assert total["business_p99_min"] == pytest.approx(59.0)
    assert total["business_mean_min"] == pytest.approx(128 / 6)
    # Kept the deadline: J1, J4, J8, J9. All eight deadlines are decided (J3 and J5 passed).
    assert (total["within_sla"], total["sla_decided"], total["within_sla_share"]) == (4, 8, 0.5)

    histogram = {r["bucket"]: (r["wall"], r["business"]) for r in rows(report, "histogram")}
    assert histogram == {
        "0m-5m": (3, 3),
        "5m-10m": (0, 0),
        "10m-30m": (1, 1),
        "30m-1h": (0, 1),
        "1h-4h": (1, 1),
        "4h-24h": (1, 0),
        "24h+": (0, 0),
        "never": (2, 2),
    }
    hbr = {r["answered"]: (r["share"], r["hbr_2011_share"]) for r in rows(report, "hbr")}
    assert hbr == {
        "within 1h": (0.5, 0.37),
        "1h-24h": (0.25, 0.16),
        "over 24h": (0.0, 0.24),
        "never": (0.25, 0.23),
    }


def test_speed_to_lead_groups_and_filters(factory, history):
    by_source = run(factory, "speed-to-lead", group_by="source")
    assert [(r["source"], r["leads"]) for r in rows(by_source)] == [
        ("outbound", 1),
        ("referral", 1),
        ("web", 6),
    ]
    # The rep who touched first, else the owner: ana J1, J3, J9; bo J2, J6 (bo touched J6);
    # sam J4; dee J8 (deleted since, still reported); J5 has nobody.
    by_rep = {
        r["rep"]: (r["leads"], r["touched"])
        for r in rows(run(factory, "speed-to-lead", group_by="rep"))
    }
    assert by_rep == {
        "(none)": (1, 0),
        "Ana <ana@x.example>": (3, 2),
        "Bo <bo@x.example>": (2, 2),
        "Sam <sam@x.example>": (1, 1),
        "Dee <dee@x.example> (deleted)": (1, 1),
    }
    segments = {
        r["segment"]: r["leads"] for r in rows(run(factory, "speed-to-lead", group_by="segment"))
    }
    assert segments == {"smb": 3, "mid_market": 2, "enterprise": 2, "unknown": 1}
    teams = {r["team"]: r["leads"] for r in rows(run(factory, "speed-to-lead", group_by="team"))}
    assert teams == {"team of Mia": 6, "(no manager)": 2}

    outbound = rows(run(factory, "speed-to-lead", filters={"role": ["outbound_prospecting"]}))
    assert (outbound[0]["leads"], outbound[0]["wall_p50_min"]) == (1, 60.0)
    team = rows(
        run(factory, "speed-to-lead", filters={"team": "mia@x.example", "segment": "enterprise"})
    )
    assert team[0]["leads"] == 2  # J3 and J9
    with pytest.raises(InvalidInputError, match="unknown role 'closer'"):
        run(factory, "speed-to-lead", filters={"role": "closer"})
    with pytest.raises(InvalidInputError, match="not a rep"):
        run(factory, "speed-to-lead", filters={"rep": "nobody@x.example"})


def test_empty_period_answers_without_failing(factory, history):
    for name in queries.SPECS:
        report = run(factory, name, start="2027-03-01", end="2027-03-02")
        assert report.sections
    (total,) = rows(run(factory, "speed-to-lead", start="2027-03-01", end="2027-03-02"))
    assert total["leads"] == 0 and total["wall_p50_min"] is None
    assert total["within_sla_share"] is None
    grouped = run(factory, "speed-to-lead", start="2027-03-01", end="2027-03-02", group_by="rep")
    assert rows(grouped) == []


def test_sla(factory, history):
    report = run(factory, "sla")
    inbound = one(report, policy="first_touch_inbound")
    # Due in November: J1, J2, J3, J5, J6, J8, J9 (J7's was due in October). Met: J1, J8, J9;
    # missed: J2, J6; J3 and J5 still run past their deadline. Compliance 3 of 7.
    assert (inbound["clocks"], inbound["met"], inbound["missed"], inbound["overdue"]) == (
        7,
        3,
        2,
        2,
    )
    assert inbound["compliance"] == pytest.approx(3 / 7)
    assert inbound["breaches"] == 4
    # Late by: J6 15 min, J2 995 min (Mon 21:35 to Tue 14:10): p50 505, p90 15 + 0.9·980.
    assert (inbound["late_p50_min"], inbound["late_p90_min"]) == (505.0, 897.0)
    acceptance = one(report, policy="handoff_acceptance")
    assert (acceptance["met"], acceptance["missed"], acceptance["overdue"]) == (2, 1, 1)
    assert acceptance["compliance"] == 0.5
    follow_up = one(report, policy="qualifying_follow_up")
    assert (follow_up["cancelled"], follow_up["decided"], follow_up["compliance"]) == (1, 0, None)
    assert all(r["policy"] != "nurture_recycle" for r in rows(report))
    # Ladder of first_touch_inbound: remind (80%), breach, reassign, notify manager. Steps
    # done: J2 4, J3 2, J5 1, J6 2, the rest 0.
    steps = [
        (r["action"], r["reached"])
        for r in rows(report, "steps")
        if r["policy"] == "first_touch_inbound"
    ]
    assert steps == [("remind_owner", 4), ("breach", 3), ("reassign", 1), ("notify_manager", 1)]
    by_rep = run(factory, "sla", group_by="rep", filters={"rep": "cal@x.example"})
    assert [(r["rep"], r["clocks"], r["met"]) for r in rows(by_rep)] == [
        ("Cal <cal@x.example>", 3, 2),
    ]


def test_funnel_by_cohort(factory, history):
    report = run(factory, "funnel")
    new = one(report, "stages", stage="new")
    # Stays in `new` of November journeys: J1, J2, J3, J5, J6, J8, J9; left: J1 (1 h),
    # J6 (1 h), J9 (0.5 h).
    assert (new["entered"], new["left"], new["still_in_stage"]) == (7, 3, 4)
    assert (new["hours_p50"], new["hours_p90"]) == (1.0, 1.0)
    assert new["hours_mean"] == pytest.approx(2.5 / 3)
    # Discovery: Mon 12:00 to Tue 10:00 New York = 22 h, of which 5 + 1 business hours.
    discovery = one(report, "stages", stage="discovery")
    assert (discovery["hours_p50"], discovery["business_hours_p50"]) == (22.0, 6.0)
    prospecting = one(report, "stages", stage="prospecting")
    assert (prospecting["hours_mean"], prospecting["business_hours_mean"]) == (24.0, 8.0)
    moves = {(r["stage"], r["next"]): (r["moved"], r["rate"]) for r in rows(report, "transitions")}
    assert moves[("new", "qualifying")] == (2, pytest.approx(2 / 7))
    assert moves[("new", "disqualified")] == (1, pytest.approx(1 / 7))
    assert moves[("qualifying", "discovery")] == (1, 0.5)
    assert moves[("negotiation", "won")] == (1, 1.0)
    inbound = one(report, "origins", originating_role="inbound_qualification")
    assert (inbound["journeys"], inbound["pipeline"], inbound["won"], inbound["closed_lost"]) == (
        7,
        1,
        1,
        0,
    )
    assert (inbound["win_rate"], inbound["revenue_won"]) == (1.0, 12000.0)
    outbound = one(report, "origins", originating_role="outbound_prospecting")
    assert (outbound["journeys"], outbound["pipeline"], outbound["win_rate"]) == (1, 0, None)


def test_funnel_by_activity(factory, history):
    report = run(factory, "funnel", basis="activity")
    assert report.basis == "activity"
    new = one(report, "stages", stage="new")
    # J7 arrived in October and left `new` on November 2nd: it counts as work done in the
    # period. Ended: J1 1 h, J6 1 h, J9 0.5 h, J7 313.5 h.
    assert (new["entered"], new["left"], new["still_in_stage"]) == (7, 4, 4)
    assert new["hours_p90"] == pytest.approx(1 + 0.7 * 312.5)
    moves = {(r["stage"], r["next"]): (r["moved"], r["rate"]) for r in rows(report, "transitions")}
    assert moves[("new", "qualifying")] == (3, 0.75)  # of the 4 stays that ended
    assert one(report, "stages", stage="qualifying")["entered"] == 3
    by_rep = run(
        factory, "funnel", basis="activity", group_by="rep", filters={"rep": "ana@x.example"}
    )
    assert one(by_rep, "stages", stage="new")["left"] == 4  # J1, J6, J7, J9: all ana's


def test_handoffs(factory, history):
    report = run(factory, "handoffs")
    inbound = one(report, pair="inbound_qualification → closing")
    # H1 accepted after 60 minutes (11:00-12:00 New York), H3 expired, H4 waits.
    assert (inbound["proposed"], inbound["accepted"], inbound["expired"], inbound["pending"]) == (
        3,
        1,
        1,
        1,
    )
    assert inbound["acceptance_rate"] == 0.5
    assert (inbound["latency_p50_min"], inbound["business_latency_p50_min"]) == (60.0, 60.0)
    assert (inbound["rated"], inbound["average_rating"], inbound["reoffers"]) == (1, 4.0, 1)
    outbound = one(report, pair="outbound_prospecting → closing")
    assert (outbound["rejected"], outbound["acceptance_rate"], outbound["average_rating"]) == (
        1,
        0.0,
        None,
    )
    assert rows(report, "rejections") == [
        {
            "protocol": "qualified_to_closer",
            "pair": "outbound_prospecting → closing",
            "reason": "not_qualified",
            "rejected": 1,
            "share": 1.0,
        },
    ]
    receivers = run(factory, "handoffs", group_by="receiver")
    assert {r["receiver"]: r["proposed"] for r in rows(receivers)} == {
        "Cal <cal@x.example>": 3,
        "Mia <mia@x.example>": 1,
    }
    paired = run(factory, "handoffs", filters={"role": "outbound_prospecting"}, group_by="pair")
    assert [r["proposed"] for r in rows(paired)] == [1]


def test_workload(factory, history):
    report = run(factory, "workload")
    reps = {r["rep"]: r for r in rows(report)}
    # Open journeys now: ana J3, J7, J9; bo J2; cal J1 (won, waiting for onboarding); dee J8.
    assert reps["Ana <ana@x.example>"]["open_journeys"] == 3
    assert reps["Ana <ana@x.example>"]["utilization"] == 0.3
    assert reps["Ana <ana@x.example>"]["received"] == 4  # J1, J3, J6, J9 routed to her
    bo = reps["Bo <bo@x.example>"]
    assert (bo["open_journeys"], bo["capacity"], bo["utilization"], bo["over_capacity"]) == (
        1,
        0,
        None,
        1,
    )
    assert reps["Dee <dee@x.example> (deleted)"]["open_journeys"] == 1
    assert reps["Amy <amy@x.example>"]["open_journeys"] == 0  # no work, still listed
    (queue,) = rows(report, "queue")
    # J5 has waited since Wed 10:00 New York: 5 days; in business time Wed 7 h + Thu 8 h +
    # Fri 8 h + Mon 1 h = 24 h.
    assert (queue["waiting"], queue["oldest_min"], queue["business_age_p50_min"]) == (
        1,
        7200.0,
        pytest.approx(1440.0),
    )
    teams = {r["team"]: r for r in rows(run(factory, "workload", group_by="team"))}
    mia = teams["team of Mia"]
    assert (mia["reps"], mia["open_journeys"], mia["capacity"], mia["over_capacity"]) == (
        3,
        5,
        15,
        1,
    )


def test_focus(factory, history):
    report = run(factory, "focus")
    reps = {r["rep"]: r for r in rows(report)}
    # ana: 10 pieces of work, one (a touch on J1 in discovery) closing work → 10%.
    ana = reps["Ana <ana@x.example>"]
    assert (ana["work"], ana["touches"], ana["transitions"], ana["handoffs"]) == (10, 3, 4, 3)
    assert (ana["outside"], ana["outside_share"], ana["flagged"]) == (1, 0.1, 0)
    # sam: 6, two touches on J1 in negotiation → 1/3 outside, above 20%: flagged.
    sam = reps["Sam <sam@x.example>"]
    assert (sam["work"], sam["outside"], sam["top_outside_role"], sam["flagged"]) == (
        6,
        2,
        "closing",
        1,
    )
    assert sam["outside_share"] == pytest.approx(1 / 3)
    # cal accepted H1 and rejected H2 (closing work) and moved J1 three times.
    assert (reps["Cal <cal@x.example>"]["work"], reps["Cal <cal@x.example>"]["outside"]) == (5, 0)
    amy = reps["Amy <amy@x.example>"]
    assert (amy["work"], amy["outside_share"], amy["flagged"]) == (0, None, 0)
    assert reps["Dee <dee@x.example> (deleted)"]["work"] == 1
    team = {r["team"]: r for r in rows(report, "team")}
    assert (team["all"]["reps"], team["all"]["work"], team["all"]["outside"]) == (7, 24, 3)
    assert team["all"]["flagged"] == 1
    assert team["team of Mia"]["outside_share"] == pytest.approx(1 / 13)
    stricter = {r["rep"]: r["flagged"] for r in rows(run(factory, "focus", threshold=0.05))}
    assert stricter["Ana <ana@x.example>"] == 1
