"""Property-based testing of the whole API from its own OpenAPI document (schemathesis, driven through Hypothesis):
for every operation, generated requests — valid ones, valid ones on objects that exist, and invalid ones — never
make a server error, and every response keeps to the document (status code, content type, headers and body).

(schemathesis' own pytest plugin does not work with this pytest; the strategies it makes are used directly.)"""
from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from skotsel.extensions import db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = 8


@pytest.fixture
def fuzz_world(app, api, world):
    """The world with occurrences, a completion, a deviation and an inspection, and the ids to aim at."""
    from skotsel.models import Completion, Deviation, Inspection, InspectionResult, Occurrence
    from skotsel.services import schedule

    app.config["API_RATE_LIMIT"] = 1_000_000
    app.config["TODAY"] = date(2026, 6, 20)
    schedule.regenerate([world.task_a, world.task_b, world.task_c], today=date(2026, 5, 1),
                        until=date(2026, 12, 31))
    occurrence = db.session.scalar(db.select(Occurrence).where(Occurrence.agreed_task_id == world.task_a.id)
                                   .order_by(Occurrence.id))
    completion = Completion(municipality_id=world.home.id, occurrence_id=None, site_id=world.site_a.id,
                            association_id=world.a.id, completed_on=date(2026, 6, 1), user_id=world.member_a.id)
    deviation = Deviation(municipality_id=world.home.id, source="inspection", agreement_id=world.agreement_a.id,
                          site_id=world.site_a.id, description="Ogräs", fix_by_on=date(2026, 7, 1), status="open")
    inspection = Inspection(municipality_id=world.home.id, agreement_id=world.agreement_a.id,
                            inspected_on=date(2026, 6, 10), inspector_id=world.reviewer.id)
    inspection.results.append(InspectionResult(municipality_id=world.home.id, site_id=world.site_a.id,
                                               result="approved"))
    db.session.add_all([completion, deviation, inspection])
    db.session.commit()
    ids = {"agreement_id": world.agreement_a.id, "site_id": world.site_a.id, "task_id": world.task_a.id,
           "occurrence_id": occurrence.id, "completion_id": completion.id, "deviation_id": deviation.id,
           "inspection_id": inspection.id, "year": 2026}
    yield ids
    app.config["API_RATE_LIMIT"] = 120
    app.config.pop("TODAY", None)


def _fuzz(app, token: str, ids: dict) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    failures = []
    for operation in operations:
        names = [parameter.name for parameter in operation.path_parameters]
        strategies = [operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE)]
        if names:
            strategies.append(operation.as_strategy(path_parameters={name: ids[name] for name in names}))
        for strategy in strategies:
            @given(case=strategy)
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Exception as error:  # collect every operation's failure, not only the first
                failures.append(f"{operation.label}: {error}")
    return failures


def test_the_api_keeps_to_its_document_for_a_coordinator(app, api, fuzz_world):
    """An association's coordinator: reads its own, logs work, marks deviations fixed."""
    failures = _fuzz(app, api.tokens["coordinator_a"], fuzz_world)
    assert not failures, "\n\n".join(failures)


def test_the_api_keeps_to_its_document_for_a_reviewer(app, api, fuzz_world):
    """A reviewer: reads the municipality, verifies and reopens deviations, records inspections."""
    failures = _fuzz(app, api.tokens["reviewer"], fuzz_world)
    assert not failures, "\n\n".join(failures)
