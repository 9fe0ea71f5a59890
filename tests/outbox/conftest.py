from __future__ import annotations

import pytest

from handoffs.support import post_sales_team
from outbox.servers import HttpReceiver, SmtpServer


@pytest.fixture
def team(factory):
    return post_sales_team(factory)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def receiver():
    receiver = HttpReceiver()
    yield receiver
    receiver.stop()
