"""Checks of the promises and the plumbing: SLA policies, routing, the calendar, warnings.

Each case breaks one thing in the sample of conftest.py and expects one issue that names the
right line and path and says what to fix.
"""

import re

import pytest

from salesrelay.playbook import load_playbook_text


def case(case_id, edits, path, line_snippet, *fragments, severity="error"):
    return pytest.param(edits, path, line_snippet, fragments, severity, id=case_id)


CASES = [
    # -- SLA policies
    case(
        "sla-unknown-stage",
        [("    within: 5m", "    within: 5m\n    stages: [new, nwe]")],
        "sla.first_touch.stages[1]",
        "stages: [new, nwe]",
        "unknown stage 'nwe'",
    ),
    case(
        "sla-unknown-pause-stage",
        [("    within: 5m", "    within: 5m\n    pause_in:\n      - on_hold")],
        "sla.first_touch.pause_in[0]",
        "- on_hold",
        "unknown stage 'on_hold'",
    ),
    case(
        "escalation-out-of-order",
        [("{at: 80%, action: remind_owner}", "{at: 120%, action: remind_owner}")],
        "sla.first_touch.escalation[1].at",
        "{at: 100%, action: reassign}",
        "increasing order",
        "'100%' does not come after '120%'",
        "reorder the steps",
    ),
    # -- routing
    case(
        "pool-unknown-role",
        [("pool: {role: qualifier}", "pool: {role: sdr}")],
        "routing.rules[0].pool.role",
        "pool: {role: sdr}",
        "unknown role 'sdr'",
    ),
    case(
        "pool-role-owning-no-stage",
        [
            ("  success: {function: post_sales}", "  success: {function: post_sales}\n  spare: {}"),
            ("pool: {role: qualifier}", "pool: {role: spare}"),
        ],
        "routing.rules[0].pool.role",
        "pool: {role: spare}",
        "owns no working stage",
        "use one of: closer, qualifier, success",
    ),
    case(
        "named-rep-without-reps",
        [("pool: {role: qualifier}", "pool: {role: qualifier}\n      method: named_rep")],
        "routing.rules[0]",
        "- name: everyone",
        "method named_rep needs pool: {role: <role>, reps: [rep e-mails]}",
    ),
    case(
        "unknown-operator",
        [("- name: everyone", "- name: everyone\n      when: {employees: {gtee: 10}}")],
        "routing.rules[0].when.employees.gtee",
        "when: {employees",
        "unknown operator 'gtee'",
        "did you mean 'gte'",
        "use one of: contains, eq, exists, gt",
    ),
    case(
        "in-needs-a-list",
        [("- name: everyone", "- name: everyone\n      when: {source: {in: web}}")],
        "routing.rules[0].when.source",
        "when: {source",
        "'in' and 'not_in' take a list",
    ),
    case(
        "ordering-needs-a-number",
        [("- name: everyone", "- name: everyone\n      when:\n        employees: {gte: [1]}")],
        "routing.rules[0].when.employees",
        "employees: {gte",
        "'gte' compares with a number or text",
    ),
    case(
        "empty-condition",
        [("- name: everyone", "- name: everyone\n      when: {source: {}}")],
        "routing.rules[0].when.source",
        "when: {source",
        "give a value or operators",
    ),
    case(
        "plain-list-condition",
        [("- name: everyone", "- name: everyone\n      when: {source: [web, ads]}")],
        "routing.rules[0].when.source",
        "when: {source",
        "write {in: [...]}",
        severity="warning",
    ),
    case(
        "duplicate-rule-name",
        [
            (
                "      pool: {role: qualifier}\n",
                "      pool: {role: qualifier}\n"
                "      when: {source: web}\n    - name: everyone\n"
                "      pool: {role: qualifier}\n",
            )
        ],
        "routing.rules[1].name",
        ("- name: everyone", 2),
        "duplicate rule name 'everyone'",
    ),
    # -- business calendar
    case(
        "unknown-time-zone",
        [("timezone: Europe/Berlin", "timezone: Europe/Berln")],
        "calendar.timezone",
        "timezone:",
        "unknown time zone 'Europe/Berln'",
        "did you mean 'Europe/Berlin'",
    ),
    case(
        "unknown-holiday-country",
        [("holidays: DE-BY", "holidays: XQ")],
        "calendar.holidays",
        "holidays:",
        "unknown holiday country 'XQ'",
        "'DE-BY'",
    ),
    case(
        "unknown-holiday-subdivision",
        [("holidays: DE-BY", "holidays: DE-XX")],
        "calendar.holidays",
        "holidays:",
        "unknown subdivision 'XX' of DE",
        "BY",
    ),
    case(
        "bad-closed-date",
        [("holidays: DE-BY", "holidays: DE-BY\n  closed_dates: [2025-12-24, 2025-13-01]")],
        "calendar.closed_dates[1]",
        "closed_dates:",
        "bad closed date '2025-13-01'",
        "YYYY-MM-DD",
    ),
    # -- warnings
    case(
        "role-owning-no-stage",
        [("  success: {function: post_sales}", "  success: {function: post_sales}\n  spare: {}")],
        "roles.spare",
        "spare: {}",
        "owns no working",
        "give it a stage or remove it",
        severity="warning",
    ),
    case(
        "unused-handoff",
        [("  to_success:\n", "  spare:\n    intro: hi\n  to_success:\n")],
        "handoffs.spare",
        "spare:",
        "not used by any transition",
        severity="warning",
    ),
    case(
        "slow-first-touch-inbound",
        [("within: 5m", "within: 4h")],
        "sla.first_touch.within",
        "within: 4h",
        "HBR 2011",
        "7x as likely",
        "within: 5m",
        severity="warning",
    ),
    case(
        "policy-without-stages",
        [("sla:\n", "sla:\n  chase: {kind: follow_up, within: 2d}\n")],
        "sla.chase",
        "chase:",
        "never runs",
        severity="warning",
    ),
]


@pytest.mark.parametrize(("edits", "path", "line_snippet", "fragments", "severity"), CASES)
def test_each_problem_names_its_line_and_the_fix(
    expect_issue, edits, path, line_snippet, fragments, severity
):
    expect_issue(edits, path, line_snippet, fragments, severity)


def test_bad_hours_are_reported_by_the_calendar_rules(edit, line_of):
    pytest.importorskip("salesrelay.calendar")
    text = edit(("hours: mon-fri 09:00-17:00", "hours: mon-fry 9-5"))
    result = load_playbook_text(text)
    [issue] = [i for i in result.errors if i.path == "calendar.hours"]
    assert issue.line == line_of(text, "hours:")
    assert "mon-fri 09:00-17:00" in issue.message


@pytest.mark.parametrize(
    "hours",
    [
        "mon-fri 09:00-17:00",
        "mon-thu 08:00-18:00; fri 08:00-14:00",
        "{mon: ['09:00-12:00', '13:00-17:00'], fri: ['09:00-12:00']}",
    ],
)
def test_documented_hours_formats_are_accepted(hours, edit):
    assert load_playbook_text(edit(("hours: mon-fri 09:00-17:00", f"hours: {hours}"))).ok


def test_two_specialized_roles_break_the_three_of_four_rule(edit, line_of):
    text = edit(
        ("  success: {function: post_sales}\n", ""),
        ("{id: customer, role: success}", "{id: customer, role: closer}"),
        (
            "{id: churned, role: success, terminal: lost}",
            "{id: churned, role: closer, terminal: lost}",
        ),
        ("{from: won, to: customer, handoff: to_success}", "{from: won, to: customer}"),
        ("  to_success:\n", ""),
        ('    intro: "Welcome to {{ company_name }}, {{ contact.first_name }}."\n', ""),
    )
    result = load_playbook_text(text)
    assert result.ok
    [warning] = result.warnings
    assert warning.path == "roles"
    assert warning.line == line_of(text, "roles:")
    assert "covers 2 of the four core functions (closing, inbound_qualification)" in warning.message
    assert "at least three of the four core roles" in warning.message
    assert "Ross & Lemkin, From Impossible to Inevitable, 2016, ch. 10" in warning.message


def test_one_generalist_role_needs_no_three_of_four_warning(edit):
    text = re.sub(r"role: (qualifier|closer|success)", "role: rep", edit())
    text = text.replace(
        "  qualifier: {function: inbound_qualification}\n"
        "  closer: {function: closing}\n"
        "  success: {function: post_sales}\n",
        "  rep: {}\n",
    )
    result = load_playbook_text(text)
    assert result.ok, result.report()
    assert result.warnings == []


def test_a_slow_first_touch_is_fine_where_only_outbound_leads_enter(edit):
    text = edit(
        ("  - {id: won,", "  - {id: prospect, role: qualifier}\n  - {id: won,"),
        ("  default: new", "  default: new\n  by_source: {outbound: prospect, list: prospect}"),
        ("{from: new, to: lost}", "{from: new, to: lost}\n  - {from: prospect, to: new}"),
        (
            "    within: 5m",
            "    within: 5m\n  outbound_touch:\n    kind: first_touch\n"
            "    within: 2d\n    stages: [prospect]",
        ),
    )
    result = load_playbook_text(text)
    assert result.ok
    assert result.issues == []
