from __future__ import annotations

import pytest

from handoffs.support import post_sales_team


@pytest.fixture
def team(factory):
    return post_sales_team(factory)
