"""Every operation of our own /openapi.json, fuzzed in process against a seeded database.

Each operation gets schema-valid requests (with random ids and with the ids of rows that
exist), schema-breaking ones, and a few without a key; then schemathesis chains operations
along the links it infers from the schema (create a rep → read, change, delete it; propose
a handoff → accept, reject, rate it). Every answer must be below 500 and be what the schema
declares: a documented status code, content type and headers, and a body of its schema.

The run is seeded (SALESRELAY_FUZZ_SEED, so a failure replays); set another seed to explore.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from factories import api_key
from salesrelay.app import create_app
from salesrelay.config import Settings
from web.support import build_world

SEED = int(os.environ.get("SALESRELAY_FUZZ_SEED", "20261125"))
MINIMUM_CASES = 2000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Examples per operation and kind of case; PostgreSQL runs half of them.
BUDGET = {"valid": 22, "existing ids": 22, "invalid": 22, "no key": 3}
STATEFUL_SCENARIOS = 60
STATEFUL_STEPS = 10


class _ServerError(Exception):
    """The application raised: the client got a 500."""


@dataclass
class Fuzzer:
    key: str
    existing: dict[str, list]
    """Path parameter → ids of rows that exist in the seeded database."""
    cases: Counter = field(default_factory=Counter)
    failures: dict[tuple, str] = field(default_factory=dict)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def send(self, case, kind: str, headers: dict[str, str]) -> None:
        self.cases[kind] += 1
        try:
            response = case.call(headers=headers)
        except Exception as error:  # the ASGI transport re-raises what the app raised
            self._record(case, kind, "server error", f"{error!r}\n{case.as_curl_command()}")
            raise _ServerError(repr(error)) from None
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            title = ", ".join(sorted({failure.title for failure in group.exceptions}))
            self._record(case, kind, title, str(group))

    def _record(self, case, kind: str, title: str, message: str) -> None:
        self.failures.setdefault((case.operation.label, kind, title), message[:2500])

    def operation(self, operation, kind: str, examples: int) -> None:
        mode = GenerationMode.NEGATIVE if kind == "invalid" else GenerationMode.POSITIVE
        strategies = [operation.as_strategy(generation_mode=mode)]
        if kind == "existing ids":
            strategies = [
                operation.as_strategy(generation_mode=mode, path_parameters=ids)
                for ids in self._id_choices(operation)
            ]
            if not strategies:
                return
        headers = {} if kind == "no key" else self.auth()

        @seed(SEED)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(data=_one_of(strategies))
        def run(data):
            with contextlib.suppress(_ServerError):  # recorded; keep fuzzing the rest
                self.send(data, kind, headers)

        with contextlib.suppress(Unsatisfiable):  # nothing to break: the operation takes no input
            run()

    def _id_choices(self, operation) -> list[dict]:
        names = [parameter.name for parameter in operation.path_parameters]
        if not names or not all(name in self.existing for name in names):
            return []
        pools = [self.existing[name] for name in names]
        width = max(len(pool) for pool in pools)
        return [
            {name: pool[i % len(pool)] for name, pool in zip(names, pools, strict=True)}
            for i in range(width)
        ]

    def stateful(self, schema, scenarios: int) -> None:
        fuzzer = self
        # Schema-valid steps only: breaking inputs were sent above, and a mix of modes makes
        # the chains' data depend on earlier answers, which Hypothesis refuses as flaky.
        schema.config.generation.update(modes=[GenerationMode.POSITIVE])

        class Chains(schema.as_state_machine()):
            def get_call_kwargs(self, case):
                return {"headers": fuzzer.auth()}

            def call(self, case, **kwargs):
                fuzzer.cases["chained"] += 1
                try:
                    return case.call(**kwargs)
                except Exception as error:
                    fuzzer._record(case, "chained", "server error", repr(error))
                    raise _ServerError(repr(error)) from None

            def validate_response(self, response, case, additional_checks=None, **kwargs):
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as group:
                    title = ", ".join(sorted({failure.title for failure in group.exceptions}))
                    fuzzer._record(case, "chained", title, str(group))

        try:
            Chains.run(
                settings=settings(
                    max_examples=scenarios,
                    stateful_step_count=STATEFUL_STEPS,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except (_ServerError, FlakyStrategyDefinition):
            # A 500 is recorded; replaying its chain then finds the database changed.
            if not self.failures:
                raise


def _one_of(strategies):
    from hypothesis import strategies as st

    return strategies[0] if len(strategies) == 1 else st.one_of(strategies)


def _seeded(factory):
    world = build_world(factory)
    existing = {
        "rep_id": sorted(set(world.reps.values())),
        "journey_id": [world.own_journey, world.other_journey],
        "handoff_id": [world.own_handoff, world.other_handoff],
        "account_id": [world.other_account],
        "message_id": [world.message_id],
    }
    return api_key(factory, "admin"), existing


@pytest.fixture
def fuzzed_app(database_url, factory):
    key, existing = _seeded(factory)
    app = create_app(Settings(database_url=database_url, environment="test"))
    yield app, Fuzzer(key=key, existing=existing)
    asgi.shutdown_lifespans()
    app.state.engine.dispose()


def _in_order(schema):
    """Deletes last, so the rows the other operations aim at still exist while they run."""
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda operation: operation.method.upper() == "DELETE")


def test_every_operation_answers_as_documented(fuzzed_app, database_url, capsys):
    app, fuzzer = fuzzed_app
    scale = 1.0 if database_url.startswith("sqlite") else 0.5
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = _in_order(schema)
    assert len(operations) >= 30, [operation.label for operation in operations]
    started = time.monotonic()
    for operation, (kind, examples) in itertools.product(operations, BUDGET.items()):
        fuzzer.operation(operation, kind, max(1, round(examples * scale)))
    fuzzer.stateful(schema, max(1, round(STATEFUL_SCENARIOS * scale)))
    total = sum(fuzzer.cases.values())
    with capsys.disabled():
        print(
            f"\nschemathesis on {database_url.split(':')[0]}: {total} cases over "
            f"{len(operations)} operations in {time.monotonic() - started:.0f} s "
            f"({dict(fuzzer.cases)}), seed {SEED}"
        )
    report = "\n\n".join(
        f"== {label} [{kind}] {title}\n{message}"
        for (label, kind, title), message in sorted(fuzzer.failures.items())
    )
    assert not fuzzer.failures, f"{len(fuzzer.failures)} kinds of failure:\n\n{report}"
    assert fuzzer.cases["chained"] > 0
    assert total >= MINIMUM_CASES * scale
