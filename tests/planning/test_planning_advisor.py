"""The advisor: every conclusion with the rule it comes from, headcount by the published
ratios, mixed advice, and generated playbooks that pass the real playbook validation."""

from __future__ import annotations

import math

import pytest

from salesrelay.advisor.advise import advise
from salesrelay.advisor.playbooks import generate_playbooks
from salesrelay.advisor.profile import ProfileError, load_profile_text, profile_from_mapping
from salesrelay.advisor.rules import RULES
from salesrelay.playbook import load_playbook_text


def _profile(**changes) -> dict:
    segment = {
        "name": "mid",
        "deal_size": 30_000,
        "calls_to_close": 4,
        "sales_cycle_days": 45,
        "inbound_leads_per_month": 1000,
        "outbound_targets_per_month": 300,
    }
    segment.update(changes.pop("segment", {}))
    data = {"company": "Acme", "target_revenue": 6_000_000, "segments": [segment]}
    data.update(changes)
    return data


def _role(advice, role_id):
    return next(role for role in advice.roles if role.role == role_id)


def _rules(reasons) -> set[str]:
    return {reason.rule for reason in reasons}


def test_a_two_call_close_stays_generalist():
    advice = advise(profile_from_mapping(_profile(segment={"calls_to_close": 2})))
    assert advice.verdict == "stay_generalist"
    assert _rules(advice.segments[0].reasons) == {"short_close"}
    assert [role.role for role in advice.roles] == ["generalist"]


def test_a_segment_succeeding_with_generalists_stays_generalist():
    team = {"model": "generalist", "performing": "well", "reps": 6}
    advice = advise(profile_from_mapping(_profile(current_team=team)))
    assert advice.verdict == "stay_generalist"
    assert _rules(advice.segments[0].reasons) == {"generalists_succeeding"}
    struggling = advise(
        profile_from_mapping(_profile(current_team={**team, "performing": "poorly"}))
    )
    assert struggling.verdict == "specialize"


def test_functions_above_twenty_percent_are_broken_out():
    split = {
        "inbound_qualification": 0.25,
        "outbound_prospecting": 0.3,
        "closing": 0.35,
        "post_sales": 0.1,
    }
    advice = advise(profile_from_mapping(_profile(current_team={"time_split": split})))
    assert advice.broken_out == ["inbound_qualification", "outbound_prospecting", "closing"]
    assert [r.rule for r in advice.function_reasons].count("twenty_percent") == 2
    assert advice.template == "four-role"


def test_at_least_three_of_the_four_roles():
    split = {"inbound_qualification": 0.1, "closing": 0.85, "post_sales": 0.05}
    advice = advise(profile_from_mapping(_profile(current_team={"time_split": split})))
    assert len(advice.broken_out) == 3
    assert "three_of_four" in _rules(advice.function_reasons)
    assert advice.template == "three-role"


def test_one_inbound_qualifier_per_four_hundred_leads_needing_a_person():
    split = {"inbound_qualification": 0.3, "outbound_prospecting": 0.3, "closing": 0.4}
    profile = _profile(
        current_team={"time_split": split},
        segment={"inbound_leads_per_month": 2000, "human_attention_share": 0.8},
        workload={"qualify_minutes_per_lead": 1},
    )
    qualifiers = _role(advise(profile_from_mapping(profile)), "inbound_qualification")
    assert qualifiers.headcount == 4  # 1,600 leads need a person
    assert "inbound_400" in _rules(qualifiers.reasons)


@pytest.mark.parametrize(("deal_size", "closers_per_sdr"), [(30_000, 2.5), (250_000, 1.5)])
def test_one_sdr_per_two_to_five_closers(deal_size, closers_per_sdr):
    split = {"inbound_qualification": 0.3, "outbound_prospecting": 0.3, "closing": 0.4}
    profile = _profile(
        current_team={"time_split": split},
        quota_per_closer=500_000,
        segment={
            "deal_size": deal_size,
            "inbound_leads_per_month": 500,
            "outbound_targets_per_month": 500,
        },
        workload={"prospect_minutes_per_target": 1, "hours_per_call": 0.1},
    )
    advice = advise(profile_from_mapping(profile))
    closers, sdrs = _role(advice, "closing"), _role(advice, "outbound_prospecting")
    assert closers.headcount == 12  # 6M / 500k
    assert sdrs.needed == pytest.approx(12 * 0.5 / closers_per_sdr)
    assert sdrs.headcount == math.ceil(12 * 0.5 / closers_per_sdr)
    assert "sdr_ratio" in _rules(sdrs.reasons)


def test_about_eight_qualifiers_and_sdrs_per_manager(examples):
    advice = advise(load_profile_text((examples / "profiles" / "enterprise.yaml").read_text()))
    led = sum(
        r.headcount
        for r in advice.roles
        if r.role in ("inbound_qualification", "outbound_prospecting")
    )
    managers = _role(advice, "sdr_manager")
    assert managers.headcount == math.floor(led / 8 + 0.5)
    assert "sdr_manager" in _rules(managers.reasons)


def test_mixed_advice_keeps_small_deals_generalist_beside_a_specialized_segment(examples):
    advice = advise(load_profile_text((examples / "profiles" / "northwind.yaml").read_text()))
    assert advice.verdict == "mixed"
    assert {s.name: s.model for s in advice.segments} == {
        "smb": "generalist",
        "midmarket": "specialized",
    }
    playbooks = generate_playbooks(advice)
    assert [p.template for p in playbooks] == ["generalist", advice.template]
    assert playbooks[0].segments == ["smb"]


@pytest.mark.parametrize("name", ["northwind", "enterprise", "self-serve"])
def test_every_example_gets_reasoned_advice_and_valid_playbooks(examples, name):
    advice = advise(load_profile_text((examples / "profiles" / f"{name}.yaml").read_text()))
    conclusions = [*advice.segments, *advice.roles]
    for conclusion in conclusions:
        assert conclusion.reasons, conclusion
        for reason in conclusion.reasons:
            assert reason.rule in RULES and reason.source and reason.because
    playbooks = generate_playbooks(advice)
    assert playbooks
    for playbook in playbooks:
        result = load_playbook_text(playbook.text, source=playbook.file_name)
        assert result.ok, result.report()
        assert result.playbook.name == playbook.name
        assert playbook.ok and not playbook.issues


def test_history_rates_change_the_advice():
    profile = profile_from_mapping(_profile(target_revenue=None))
    default = advise(profile)
    better = advise(profile, observed_rates={"opportunity_to_won": 0.6})
    assert _role(better, "closing").needed > _role(default, "closing").needed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"segment": {"calls_to_close": 0}}, "segments[mid].calls_to_close"),
        ({"segment": {"deal_size": "a lot"}}, "segments[mid].deal_size"),
        ({"current_team": {"model": "hybrid"}}, "current_team.model"),
        ({"conversion": {"win": 0.2}}, "conversion.win"),
        ({"segment": {"revenue_share": 0.4}}, "revenue shares must add up to 1"),
        ({"surprise": 1}, "surprise: unknown field"),
    ],
)
def test_profile_errors_name_the_field(change, field):
    with pytest.raises(ProfileError, match=field.replace("[", r"\[").replace("]", r"\]")):
        profile_from_mapping(_profile(**change))


def test_profile_yaml_errors_give_the_line():
    with pytest.raises(ProfileError, match="line 2"):
        load_profile_text("company: x\n  bad: indent\n")
