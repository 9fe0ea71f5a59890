"""A small valid playbook that the semantic-check tests break one piece at a time."""

import pytest

from salesrelay.playbook import Issue, load_playbook_text

# A small, valid, specialized playbook; each case below breaks one thing in it.
VALID = """\
name: test
roles:
  qualifier: {function: inbound_qualification}
  closer: {function: closing}
  success: {function: post_sales}
stages:
  - {id: new, role: qualifier}
  - {id: deal, role: closer}
  - {id: customer, role: success}
  - {id: won, role: closer, terminal: won}
  - {id: lost, role: closer, terminal: lost}
  - {id: churned, role: success, terminal: lost}
entry:
  default: new
transitions:
  - {from: new, to: deal, handoff: to_closer}
  - {from: new, to: lost}
  - {from: deal, to: won}
  - {from: deal, to: lost}
  - {from: won, to: customer, handoff: to_success}
  - {from: customer, to: churned}
handoffs:
  to_closer:
    meeting_field: meeting_at
    fields:
      meeting_at: {type: datetime}
    intro_subject: "Meet {{ next_owner.name }}"
    intro: |
      Hi {{ contact.first_name }},
      {{ next_owner.name }} will call you on {{ fields.meeting_at }}.
  to_success:
    intro: "Welcome to {{ company_name }}, {{ contact.first_name }}."
sla:
  first_touch:
    kind: first_touch
    within: 5m
    escalation:
      - {at: 80%, action: remind_owner}
      - {at: 100%, action: reassign}
routing:
  rules:
    - name: everyone
      pool: {role: qualifier}
calendar:
  timezone: Europe/Berlin
  hours: mon-fri 09:00-17:00
  holidays: DE-BY
"""


def edited(*edits: tuple[str, str]) -> str:
    text = VALID
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} must occur once in the sample"
        text = text.replace(old, new)
    return text


def line_in(text: str, snippet: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), 1) if snippet in line]
    return lines[occurrence - 1]


def expect_one_issue(edits, path, line_snippet, fragments, severity) -> Issue:
    """Apply `edits` to the sample; exactly one issue at `path`, on the line of the snippet."""
    text = edited(*edits)
    result = load_playbook_text(text)
    found = [i for i in result.issues if i.path == path and i.severity == severity]
    assert len(found) == 1, f"expected one {severity} at {path}, got:\n{result.report()}"
    issue = found[0]
    snippet, occurrence = line_snippet if isinstance(line_snippet, tuple) else (line_snippet, 1)
    assert issue.line == line_in(text, snippet, occurrence), result.report()
    for fragment in fragments:
        assert fragment in issue.message
    assert str(issue).startswith(f"line {issue.line}: {path}: ")
    assert result.ok == (severity == "warning" and not result.errors)
    return issue


@pytest.fixture
def edit():
    """edit((old, new), …) → the sample with each `old` (found exactly once) replaced."""
    return edited


@pytest.fixture
def line_of():
    return line_in


@pytest.fixture
def expect_issue():
    return expect_one_issue
