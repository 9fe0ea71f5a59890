"""Small factories with optional arguments, writing through the real services."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

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


def run_cli(
    database_url: str, cwd, *args: str, input: str | None = None, check: bool = False
) -> subprocess.CompletedProcess:
    """`salesrelay ARGS` in a process of its own on `database_url`, as an operator runs it.
    With `check`, anything but exit 0 fails the test with what the command printed."""
    env = {**os.environ, "SALESRELAY_DATABASE_URL": database_url, "SALESRELAY_ENVIRONMENT": "test"}
    done = subprocess.run(
        [sys.executable, "-m", "salesrelay", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        input=input,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done
