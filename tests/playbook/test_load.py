"""Reading playbook text: YAML problems, refused documents and shape errors, each with its line."""

import pytest

from salesrelay.playbook import (
    Issue,
    PlaybookError,
    load_playbook_file,
    load_playbook_text,
    parse_playbook,
    template_text,
)

MINIMAL = """\
name: minimal
roles:
  rep: {}
stages:
  - {id: new, role: rep}
  - {id: won, role: rep, terminal: won}
entry:
  default: new
transitions:
  - {from: new, to: won}
"""


def line_of(text: str, snippet: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if snippet in line)


def only_error(text: str) -> Issue:
    result = load_playbook_text(text)
    assert result.playbook is None
    [issue] = result.errors
    return issue


def shape_error(text: str, path: str) -> Issue:
    result = load_playbook_text(text)
    assert result.playbook is None
    found = [issue for issue in result.errors if issue.path == path]
    assert len(found) == 1, result.report()
    return found[0]


# -- what a load returns -------------------------------------------------------------------
def test_a_minimal_playbook_loads():
    result = load_playbook_text(MINIMAL)
    assert result.ok
    assert result.playbook.stage("new").role == "rep"
    assert result.errors == [] and result.warnings == []


def test_parse_playbook_raises_with_every_error_listed():
    text = MINIMAL.replace("role: rep}", "role: nobody}").replace("to: won}", "to: nowhere}")
    with pytest.raises(PlaybookError) as raised:
        parse_playbook(text, source="team.yaml")
    assert {issue.path for issue in raised.value.issues} >= {"stages[0].role", "transitions[0].to"}
    message = str(raised.value)
    assert message.startswith("team.yaml is not a valid playbook")
    assert f"line {line_of(text, 'to: nowhere')}: transitions[0].to:" in message


def test_load_a_file_and_report_its_path(tmp_path):
    file = tmp_path / "team.yaml"
    file.write_text(MINIMAL.replace("default: new", "default: nwe"), encoding="utf-8")
    result = load_playbook_file(file)
    assert not result.ok
    assert result.report().startswith(
        f"{file}: line 8: entry.default: leads would enter an unknown stage 'nwe'"
    )


def test_a_missing_file_is_an_issue_not_a_traceback(tmp_path):
    result = load_playbook_file(tmp_path / "absent.yaml")
    [issue] = result.errors
    assert "cannot read the file" in issue.message


def test_issue_reads_as_line_path_message():
    assert str(Issue("error", 12, "stages[3].role", "unknown role")) == (
        "line 12: stages[3].role: unknown role"
    )
    assert str(Issue("warning", None, "roles", "few roles")) == "roles: warning: few roles"


# -- YAML problems -------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_an_empty_document(text):
    assert "the playbook is empty" in only_error(text).message


def test_a_document_that_is_not_a_mapping():
    issue = only_error("- name: a\n- name: b\n")
    assert issue.line == 1
    assert "a playbook is a mapping" in issue.message


def test_a_syntax_error_names_its_line():
    text = MINIMAL.replace("  - {id: won, role: rep, terminal: won}", "  - {id: won, role: rep")
    issue = only_error(text)
    assert issue.line == line_of(text, "entry:")
    assert issue.message.startswith("not valid YAML:")


def test_a_tab_indent_names_its_line():
    text = MINIMAL.replace("  default: new", "\tdefault: new")
    assert only_error(text).line == line_of(text, "default: new")


def test_duplicate_keys_are_refused_with_both_lines():
    text = MINIMAL + "name: again\n"
    issue = only_error(text)
    assert issue.line == line_of(text, "name: again")
    assert issue.path == "name"
    assert "duplicate key 'name' (first on line 1)" in issue.message


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo owned']\n",
        "name: !!python/name:os.system ''\n",
        "name: x\nroles: !!python/object:collections.OrderedDict {}\n",
    ],
)
def test_python_tags_are_refused(text):
    issue = only_error(text)
    assert "refused unsafe tag" in issue.message
    assert issue.line == len(text.splitlines())


def test_an_alias_bomb_is_refused_quickly():
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for depth in range(1, 9):
        name, previous = chr(ord("a") + depth), chr(ord("a") + depth - 1)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    issue = only_error("\n".join(levels) + "\n")
    assert issue.message.startswith("refused: more than")
    assert "values once aliases expand" in issue.message


def test_too_many_aliases_are_refused():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    issue = only_error(text)
    assert issue.line == 2
    assert "more than 100 aliases" in issue.message


def test_a_document_over_one_megabyte_is_refused():
    issue = only_error("name: " + "x" * 1_000_001 + "\n")
    assert "larger than 1 MB" in issue.message


def test_deep_nesting_is_refused():
    issue = only_error("name: " + "[" * 2000 + "]" * 2000 + "\n")
    assert "nested more than" in issue.message


def test_merge_keys_and_a_few_aliases_are_plain_yaml():
    text = (
        MINIMAL.replace("  rep: {}", "  rep: &rep {label: Rep}")
        .replace("  - {id: new, role: rep}", "  - &working {id: new, role: rep, label: Working}")
        .replace(
            "  - {id: won, role: rep, terminal: won}", "  - {<<: *working, id: won, terminal: won}"
        )
    )
    result = load_playbook_text(text)
    assert result.errors == [], result.report()
    assert result.playbook.stage("won").label == "Working"
    assert result.playbook.stage("won").terminal == "won"


def test_unquoted_dates_stay_text():
    text = MINIMAL + "calendar:\n  closed_dates: [2025-12-24, 2025-12-31]\n"
    assert load_playbook_text(text).playbook.calendar.closed_dates == ["2025-12-24", "2025-12-31"]


# -- shape errors in plain words ----------------------------------------------------------
def test_unknown_key_suggests_the_right_one():
    text = MINIMAL.replace("stages:", "stagez:")
    issue = shape_error(text, "stagez")
    assert issue.line == line_of(text, "stagez:")
    assert issue.message.startswith("unknown key 'stagez'; did you mean 'stages'? expected one of:")
    assert "roles, stages, entry" in issue.message


def test_unknown_key_inside_a_list_item():
    text = MINIMAL.replace("{from: new, to: won}", "{from: new, too: won}")
    issue = shape_error(text, "transitions[0].too")
    assert issue.line == line_of(text, "too: won")
    assert "expected one of: from, to, handoff" in issue.message


def test_missing_key_points_at_its_parent_mapping():
    text = MINIMAL.replace(
        "  - {id: won, role: rep, terminal: won}", "  - {id: won, terminal: won}"
    )
    issue = shape_error(text, "stages[1].role")
    assert issue.line == line_of(text, "{id: won, terminal: won}")
    assert issue.message == "missing required key 'role'; add it"


def test_missing_top_level_key():
    text = MINIMAL.replace("entry:\n  default: new\n", "")
    assert shape_error(text, "entry").line == 1


def test_wrong_type_says_what_was_expected():
    text = MINIMAL.replace("  rep: {}", "  - rep")
    issue = shape_error(text, "roles")
    assert issue.line == line_of(text, "roles:")
    assert issue.message == "expected a mapping (key: value), got a list"


def test_bad_duration_says_how_to_write_one():
    text = MINIMAL + "sla:\n  touch:\n    kind: first_touch\n    within: 5 mins?\n"
    issue = shape_error(text, "sla.touch.within")
    assert issue.line == line_of(text, "within:")
    assert "'5 mins?' is not a duration" in issue.message
    assert "'5m', '4h' or '2d'" in issue.message


def test_a_number_where_a_duration_belongs():
    text = MINIMAL + "sla:\n  touch: {kind: first_touch, within: 5}\n"
    issue = shape_error(text, "sla.touch.within")
    assert issue.message == (
        "expected text, got the number 5; write a duration such as '5m', '4h' or '2d'"
    )


def test_a_value_outside_a_fixed_list():
    text = MINIMAL.replace("terminal: won}", "terminal: done}")
    issue = shape_error(text, "stages[1].terminal")
    assert (
        issue.message
        == "'done' is not allowed here; use 'won', 'lost', 'disqualified' or 'nurture'"
    )


def test_a_bad_id_and_a_bad_key_id():
    text = MINIMAL.replace("{id: new, role: rep}", "{id: New Lead, role: rep}").replace(
        "  rep: {}", "  rep: {}\n  Closer: {}"
    )
    result = load_playbook_text(text)
    by_path = {issue.path: issue for issue in result.errors}
    assert (
        "'New Lead' is not a valid id; an id uses lower-case letters"
        in by_path["stages[0].id"].message
    )
    assert by_path["roles.Closer"].message.startswith("key 'Closer' is not a valid id")
    assert by_path["roles.Closer"].line == line_of(text, "Closer:")


def test_norway_is_read_as_false_and_the_message_says_to_quote_it():
    issue = shape_error(MINIMAL + "calendar: {holidays: NO}\n", "calendar.holidays")
    assert "quote the text" in issue.message


def test_hours_of_the_wrong_kind_get_one_message_about_hours():
    text = MINIMAL + "calendar:\n  hours: 9\n"
    issue = shape_error(text, "calendar.hours")
    assert "mon-fri 09:00-17:00" in issue.message
    text = MINIMAL + "calendar:\n  hours:\n    mon: {from: 9}\n"
    issue = shape_error(text, "calendar.hours.mon")
    assert issue.line == line_of(text, "mon:")
    assert issue.message.startswith("expected a list")


def test_every_shape_error_is_reported_at_once():
    text = (
        template_text("four-role")
        .replace("within: 5m", "within: soon")
        .replace("terminal: lost}", "terminal: gone}")
    )
    paths = {issue.path for issue in load_playbook_text(text).errors}
    assert {"sla.first_touch_inbound.within", "stages[11].terminal"} <= paths
