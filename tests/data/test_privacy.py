"""Export and erasure of one person, on SQLite and PostgreSQL: the export holds everything
about them, erasure leaves nothing that names them, the reports give the same answers
before and after, and erasing again changes nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from data.history import NOW, all_rows, build, refresh, reports
from salesrelay.contacts import flows as contact_flows
from salesrelay.db import transaction
from salesrelay.events.models import Event

JO = ("jo@acme.example", "Jo Doe", "Hi Jo", "+1 212 555 0101", "+12125550101", "Spoke to Jo")


def export(factory, email):
    with transaction(factory) as session:
        return json.loads(
            json.dumps(contact_flows.export(session=session, email=email), default=str)
        )


def erase(factory, email):
    with transaction(factory) as session:
        return contact_flows.erase(session=session, email=email, now=NOW, actor="test")


def mentions(rows: dict[str, list[str]], needles) -> dict[str, list[str]]:
    found = {}
    for table, texts in rows.items():
        hits = [t for t in texts if any(n.lower() in t.lower() for n in needles)]
        if hits:
            found[table] = hits
    return found


def test_the_export_holds_everything_about_the_person(factory):
    ids = build(factory)
    data = export(factory, "JO@acme.example")  # any case
    assert data["found"] and data["contact"]["email"] == "jo@acme.example"
    assert data["contact"]["phone"] == "+1 212 555 0101"
    assert [a["name"] for a in data["accounts"]] == ["Acme Inc"]
    assert [j["id"] for j in data["journeys"]] == [ids["jo"]]
    kinds = [e["kind"] for e in data["events"]]
    assert {"lead.received", "journey.touched", "handoff.proposed", "handoff.accepted"} <= set(
        kinds
    )
    assert data["handoffs"][0]["fields"]["authority"] == "Jo Doe, VP Sales"
    assert data["handoffs"][0]["note"] == "Jo Doe (jo@acme.example) wants a call"
    assert data["routing_decisions"] and data["sla_clocks"]
    (intro,) = [m for m in data["outbox_messages"] if m["topic"] == "handoff.intro"]
    assert intro["recipient"] == "jo@acme.example" and "Hi Jo" in intro["body"]
    (receipt,) = data["intake_receipts"]
    assert receipt["key"] == "key-jo" and receipt["response"]["contact_id"] == data["contact"]["id"]
    # Pat's lead joined Jo's journey: shown, but without Pat's own fields.
    (repeated,) = [e for e in data["events"] if e["kind"] == "lead.repeated"]
    assert "pat@acme.example" not in json.dumps(repeated) and "Pat" not in json.dumps(repeated)
    # Pat's own export finds the journey they joined, and nothing of Jo's contact.
    pat = export(factory, "pat@acme.example")
    assert pat["contact"]["email"] == "pat@acme.example"
    assert [j["id"] for j in pat["journeys"]] == [ids["jo"]]
    assert pat["intake_receipts"][0]["key"] == "key-pat"
    assert not export(factory, "nobody@acme.example")["found"]


def test_erasure_leaves_nothing_and_the_reports_unchanged(factory):
    build(factory)
    refresh(factory)
    before = reports(factory)
    assert before["speed-to-lead"]["sections"][0]["rows"][0]["leads"] == 3
    assert mentions(all_rows(factory), JO)

    result = erase(factory, "Jo+news@ACME.example")  # the same person, as intake sees it
    assert result["erased"] and result["audit_events"] == 1
    assert {"contacts", "events", "handoffs", "journeys", "outbox_messages", "intake_receipts"} <= (
        result["changed"].keys()
    )
    rows = all_rows(factory)
    assert mentions(rows, JO) == {}
    # Everyone else is untouched.
    assert mentions(rows, ["pat@acme.example"]) and mentions(rows, ["ann@beta.example"])
    assert mentions(rows, ["Ann Lee has no budget"])
    # The reports read the summaries, the events since, and after a refresh: all the same.
    assert reports(factory) == before
    refresh(factory)
    assert reports(factory) == before

    with transaction(factory) as session:
        (audit,) = session.scalars(select(Event).where(Event.kind == "contact.erased"))
        events = session.scalar(select(func.count()).select_from(Event))
    assert audit.actor == "test" and audit.data["changed"] == result["changed"]
    assert not mentions({"audit": [json.dumps(audit.data)]}, JO)

    rows = all_rows(factory)
    again = erase(factory, "jo@acme.example")
    assert again == {"erased": False, "contact_id": None, "changed": {}, "audit_events": 0}
    assert all_rows(factory) == rows
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == events
    assert not export(factory, "jo@acme.example")["found"]
