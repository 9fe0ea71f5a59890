"""Checks of the team design: roles, stages, entry, transitions, the stage graph, handoffs.

Each case breaks one thing in the sample of conftest.py and expects one issue that names the
right line and path and says what to fix.
"""

import pytest

from salesrelay.playbook import Playbook, check_playbook, load_playbook_text, load_template


def case(case_id, edits, path, line_snippet, *fragments, severity="error"):
    return pytest.param(edits, path, line_snippet, fragments, severity, id=case_id)


CASES = [
    # -- roles, stages, entry
    case(
        "stage-owned-by-unknown-role",
        [("{id: deal, role: closer}", "{id: deal, role: closr}")],
        "stages[1].role",
        "role: closr",
        "unknown role 'closr'",
        "did you mean 'closer'",
        "define it under roles:",
    ),
    case(
        "duplicate-stage-id",
        [("{id: customer, role: success}", "{id: deal, role: success}")],
        "stages[2].id",
        "{id: deal, role: success}",
        "duplicate stage id 'deal'",
        "first defined on line 8",
        "give each stage its own id",
    ),
    case(
        "entry-default-unknown",
        [("  default: new", "  default: nwe")],
        "entry.default",
        "default: nwe",
        "unknown stage 'nwe'",
        "did you mean 'new'",
    ),
    case(
        "entry-source-unknown",
        [("  default: new", "  default: new\n  by_source:\n    web: webz")],
        "entry.by_source.web",
        "web: webz",
        "unknown stage 'webz'",
        "use one of:",
    ),
    case(
        "entry-source-capitals",
        [("  default: new", "  default: new\n  by_source:\n    Web: new")],
        "entry.by_source.Web",
        "Web: new",
        "never matches",
        "write 'web'",
    ),
    case(
        "entry-into-terminal",
        [("  default: new", "  default: won")],
        "entry.default",
        "default: won",
        "is terminal (won)",
        "leads must enter a working stage",
    ),
    # -- transitions and the stage graph
    case(
        "transition-to-nowhere",
        [("{from: deal, to: won}", "{from: deal, to: wno}")],
        "transitions[2].to",
        "to: wno",
        "transition to nowhere",
        "did you mean 'won'",
    ),
    case(
        "transition-from-unknown",
        [("{from: deal, to: lost}", "{from: dael, to: lost}")],
        "transitions[3].from",
        "from: dael",
        "unknown stage 'dael'",
    ),
    case(
        "transition-out-of-terminal",
        [
            (
                "{from: customer, to: churned}",
                "{from: customer, to: churned}\n  - {from: lost, to: deal}",
            )
        ],
        "transitions[6].from",
        "{from: lost, to: deal}",
        "terminal (lost)",
        "remove this transition or make the stage non-terminal",
    ),
    case(
        "cross-role-without-handoff",
        [("{from: new, to: deal, handoff: to_closer}", "{from: new, to: deal}")],
        "transitions[0]",
        "{from: new, to: deal}",
        "from role 'qualifier' to 'closer' without a handoff protocol",
        "add handoff: <name>",
    ),
    case(
        "unknown-handoff",
        [("handoff: to_closer}", "handoff: to_closr}")],
        "transitions[0].handoff",
        "handoff: to_closr",
        "unknown handoff protocol 'to_closr'",
        "did you mean 'to_closer'",
    ),
    case(
        "duplicate-transition",
        [("{from: new, to: lost}", "{from: new, to: lost}\n  - {from: new, to: lost}")],
        "transitions[2]",
        ("{from: new, to: lost}", 2),
        "duplicate transition new → lost",
    ),
    case(
        "unreachable-stage",
        [
            ("  - {id: won,", "  - {id: limbo, role: closer}\n  - {id: won,"),
            ("{from: deal, to: won}", "{from: deal, to: won}\n  - {from: limbo, to: won}"),
        ],
        "stages[3].id",
        "{id: limbo",
        "cannot be reached from any entry stage (new)",
        "add a transition into it",
    ),
    case(
        "dead-end",
        [("  - {from: customer, to: churned}\n", "")],
        "stages[2].id",
        "{id: customer",
        "dead end",
        "add one",
    ),
    case(
        "never-finishes",
        [
            ("  - {id: won,", "  - {id: loop, role: success}\n  - {id: won,"),
            (
                "{from: customer, to: churned}",
                "{from: customer, to: loop}\n  - {from: loop, to: customer}",
            ),
        ],
        "stages[2].id",
        "{id: customer",
        "can never finish",
        "add a transition towards one",
    ),
    # -- handoff protocols
    case(
        "meeting-field-missing",
        [("meeting_field: meeting_at", "meeting_field: meeting_time")],
        "handoffs.to_closer.meeting_field",
        "meeting_field: meeting_time",
        "not among this handoff's fields (meeting_at)",
        "add it under fields:",
    ),
    case(
        "meeting-field-not-datetime",
        [("meeting_at: {type: datetime}", "meeting_at: {type: text}")],
        "handoffs.to_closer.meeting_field",
        "meeting_field:",
        "must be a field of type: datetime",
    ),
    case(
        "choice-without-choices",
        [
            (
                "meeting_at: {type: datetime}",
                "meeting_at: {type: datetime}\n      health: {type: choice}",
            )
        ],
        "handoffs.to_closer.fields.health",
        "health: {type: choice}",
        "has no choices",
        "add choices:",
    ),
    case(
        "intro-syntax-error-inside-block",
        [("{{ fields.meeting_at }}.", "{{ fields. }}.")],
        "handoffs.to_closer.intro",
        "will call you on",
        "not a valid Jinja2 template",
        "fix the",
    ),
    case(
        "intro-unknown-variable",
        [("Hi {{ contact.first_name }},", "Hi {{ customer.first_name }},")],
        "handoffs.to_closer.intro",
        "Hi {{ customer",
        "unknown variable 'customer'",
        "use one of: accept_by, account, company_name, contact",
    ),
    case(
        "intro-unknown-field",
        [("{{ fields.meeting_at }}", "{{ fields.meeting_on }}")],
        "handoffs.to_closer.intro",
        "fields.meeting_on",
        "fields.meeting_on is not a field of this handoff",
        "add it under fields:",
    ),
    case(
        "subject-unknown-filter",
        [('"Meet {{ next_owner.name }}"', '"Meet {{ next_owner.name | shout }}"')],
        "handoffs.to_closer.intro_subject",
        "intro_subject:",
        "No filter named 'shout'",
    ),
    case(
        "single-line-intro-unknown-variable",
        [("Welcome to {{ company_name }}", "Welcome to {{ company }}")],
        "handoffs.to_success.intro",
        "Welcome to {{ company }}",
        "unknown variable 'company'",
    ),
]


@pytest.mark.parametrize(("edits", "path", "line_snippet", "fragments", "severity"), CASES)
def test_each_problem_names_its_line_and_the_fix(
    expect_issue, edits, path, line_snippet, fragments, severity
):
    expect_issue(edits, path, line_snippet, fragments, severity)


def test_the_sample_is_valid_without_warnings(edit):
    result = load_playbook_text(edit())
    assert result.ok
    assert result.issues == []


def test_won_and_nurture_may_be_left_and_losing_a_lead_needs_no_handoff(edit):
    text = edit(
        (
            "  - {id: churned, role: success, terminal: lost}",
            "  - {id: churned, role: success, terminal: lost}\n"
            "  - {id: nurture, role: qualifier, terminal: nurture}",
        ),
        ("{from: new, to: lost}", "{from: new, to: nurture}\n  - {from: nurture, to: new}"),
        ("{from: deal, to: lost}", "{from: deal, to: lost}\n  - {from: deal, to: nurture}"),
    )
    assert load_playbook_text(text).errors == []


def test_a_playbook_built_in_code_is_checked_without_lines():
    data = load_template("generalist").model_dump(by_alias=True)
    data["stages"][0]["role"] = "nobody"
    issues = check_playbook(Playbook.model_validate(data))
    first_error = next(issue for issue in issues if issue.severity == "error")
    assert (first_error.path, first_error.line) == ("stages[0].role", None)
