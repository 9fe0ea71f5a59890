"""Shared inputs for the planning tests: the documented example files."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesrelay.simulator.model import Scenario, load_scenario_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_scenario(name: str) -> Scenario:
    return load_scenario_text((EXAMPLES / "scenarios" / f"{name}.yaml").read_text())


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def specialists() -> Scenario:
    return example_scenario("specialists")


@pytest.fixture
def generalists() -> Scenario:
    return example_scenario("generalists")
