"""Schemathesis against the API's own OpenAPI document, in process: every operation, with a
valid token of each kind, must answer without a 5xx and as the document says it will.

`make test` runs a bounded number of examples per operation; `make fuzz` runs many more
(FUZZ_EXAMPLES)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service import create_app

pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SPEC = "/api/v1/openapi.json"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Every other check runs: no 5xx, documented status codes, content types, headers and
# bodies, and invalid input refused. Not this one: it expects every schema-valid body to
# be accepted, but some rules JSON Schema cannot state ("a phone number or an e-mail
# address", a URL's host) rightly answer 422 with a message.
SKIPPED_CHECKS = [positive_data_acceptance]


def _operations() -> list[tuple[str, str]]:
    """Every (method, path) of the document, read at collection time so each operation is
    its own test; the document does not touch the database."""
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    paths = app.test_client().get(SPEC).json["paths"]
    return [
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method.upper() in {"GET", *WRITES}
    ]


def _tokens(world) -> dict[str, str]:
    """One token of each scope: an association reads or writes, a federation and the
    national level read."""
    return {
        "association-ro": world.a.first.tokens["ro"][1],
        "association-rw": world.a.first.tokens["rw"][1],
        "federation": world.a.tokens["ro"][1],
        "national": world.national_a[1],
    }


@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_operation_keeps_its_promise(app, world, method, path):
    schema = schemathesis.openapi.from_wsgi(SPEC, app)
    operation = schema[path][method]
    tokens = _tokens(world)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def each_example(case):
        for plaintext in tokens.values():
            case.call_and_validate(
                headers={"Authorization": f"Bearer {plaintext}"},
                excluded_checks=SKIPPED_CHECKS,
            )

    each_example()
