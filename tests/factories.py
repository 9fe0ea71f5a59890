"""Small factories with optional arguments, writing through the real services."""

from __future__ import annotations

import itertools

from salesrelay.auth import service as auth_service
from salesrelay.db import transaction
from salesrelay.team import service as team_service
from salesrelay.team.schemas import RepCreate

_numbers = itertools.count(1)


def add_rep(
    factory, *, roles=("inbound_qualification",), name=None, email=None, hours="24/7", **fields
) -> int:
    number = next(_numbers)
    data = RepCreate(
        name=name or f"Rep {number}",
        email=email or f"rep{number}@seller.example",
        roles=list(roles),
        hours=hours,
        **fields,
    )
    with transaction(factory) as session:
        return team_service.create(session=session, data=data).id


def install_template(factory, name: str = "four-role") -> None:
    from salesrelay.playbook import service as playbook_service
    from salesrelay.playbook import template_text

    with transaction(factory) as session:
        playbook_service.install(session=session, text=template_text(name), created_by="test")


def api_key(factory, scope: str = "admin") -> str:
    with transaction(factory) as session:
        _, plaintext = auth_service.create(session=session, name="test", scope=scope)
    return plaintext


def four_role_team(factory) -> dict[str, int]:
    """Two qualifiers, an enterprise qualifier, an SDR, two closers, post-sales and a manager."""
    manager = add_rep(
        factory, name="Mia Manager", email="mia@seller.example", roles=["closing"], capacity=0
    )
    ids = {"manager": manager}
    ids["ana"] = add_rep(
        factory, name="Ana Silva", email="ana@seller.example", manager_email="mia@seller.example"
    )
    ids["bo"] = add_rep(
        factory, name="Bo Chen", email="bo@seller.example", manager_email="mia@seller.example"
    )
    ids["eve"] = add_rep(
        factory,
        name="Eve Enterprise",
        email="eve@seller.example",
        territories=["enterprise"],
        manager_email="mia@seller.example",
    )
    ids["sam"] = add_rep(
        factory, name="Sam Outbound", email="sam@seller.example", roles=["outbound_prospecting"]
    )
    ids["cal"] = add_rep(factory, name="Cal Closer", email="cal@seller.example", roles=["closing"])
    ids["amy"] = add_rep(
        factory, name="Amy Accounts", email="amy@seller.example", roles=["account_management"]
    )
    return ids
