"""The shipped templates load cleanly and say what they claim to be."""

import pytest

from salesrelay.playbook import load_playbook_text, load_template, template_names, template_text
from salesrelay.playbook.schema import CORE_FUNCTIONS


def core_functions_covered(name: str) -> set[str]:
    playbook = load_template(name)
    owners = {stage.role for stage in playbook.stages if stage.terminal is None}
    return {playbook.role_function(role) for role in owners} & set(CORE_FUNCTIONS)


def test_the_three_templates_are_listed():
    assert template_names() == ["four-role", "three-role", "generalist"]


@pytest.mark.parametrize("name", ["four-role", "three-role", "generalist"])
def test_each_template_loads_without_errors_or_warnings(name):
    result = load_playbook_text(template_text(name), source=f"{name}.yaml")
    assert result.ok, result.report()
    assert result.issues == [], result.report()
    assert result.playbook.name == name


def test_an_unknown_template_lists_the_names():
    with pytest.raises(KeyError) as raised:
        template_text("five-role")
    assert "four-role, three-role, generalist" in str(raised.value)


def test_four_role_covers_the_four_core_functions():
    assert core_functions_covered("four-role") == set(CORE_FUNCTIONS)


def test_three_role_covers_three_and_starts_outbound_leads_with_the_qualifier():
    playbook = load_template("three-role")
    assert core_functions_covered("three-role") == {
        "inbound_qualification",
        "closing",
        "post_sales",
    }
    assert playbook.entry_stage("outbound").role == "inbound_qualification"
    assert playbook.entry_stage("web").id == "new"


def test_generalist_has_one_role_and_no_handoffs():
    playbook = load_template("generalist")
    assert playbook.is_generalist
    assert {stage.role for stage in playbook.stages} == {"generalist"}
    assert playbook.handoffs == {}
    assert [rule.pool.role for rule in playbook.routing.rules if rule.pool] == ["generalist"]


@pytest.mark.parametrize("name", ["four-role", "three-role", "generalist"])
def test_inbound_leads_get_a_five_minute_first_touch(name):
    # Lead Response Management study: 5 rather than 30 minutes, ~21x the odds of qualifying.
    playbook = load_template(name)
    [(_, policy)] = playbook.policies_for_stage("new", kind="first_touch")
    assert policy.within_minutes == 5


@pytest.mark.parametrize("name", ["four-role", "three-role"])
def test_every_handoff_into_a_new_role_sets_expectations(name):
    playbook = load_template(name)
    handed_off = [t for t in playbook.transitions if t.handoff]
    assert handed_off
    for transition in handed_off:
        intro = playbook.handoffs[transition.handoff].intro
        assert "next_owner.name" in intro
