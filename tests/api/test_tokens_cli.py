"""flask create-token EMAIL: a personal API token, printed once and working; bad input refused with exit code 1;
old idempotency answers forgotten."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from skotsel.extensions import db

TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$", re.MULTILINE)


def run(app, *args):
    return app.test_cli_runner().invoke(args=["create-token", *args])


def test_prints_a_token_that_works(app, client, world):
    from skotsel.models.api import ApiToken

    result = run(app, "Medlem@A.example", "--name", "Mitt skript")
    assert result.exit_code == 0, result.output
    token = TOKEN.search(result.output).group(0)
    row = db.session.scalar(select(ApiToken))
    assert row.name == "Mitt skript" and row.user_id == world.member_a.id and row.municipality_id == world.home.id
    response = client.get("/api/v1/sites", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()["items"]] == [world.site_a.id]


def test_refuses_unknown_deactivated_and_roleless_people(app, world, make):
    from skotsel.models.api import ApiToken

    assert run(app, "nobody@example.org").exit_code == 1
    world.member_a.is_active = False
    db.session.commit()
    assert run(app, "medlem@a.example").exit_code == 1
    roleless = make.user("ingen@example.org")
    assert run(app, roleless.email).exit_code == 1
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_old_idempotency_answers_are_forgotten(world):
    from skotsel.models.api import IdempotencyRecord
    from skotsel.services import api_tokens

    now = datetime(2026, 6, 20, 10, 0, tzinfo=timezone.utc)
    for key, age in (("old-key-0001", 8), ("new-key-0001", 1)):
        db.session.add(IdempotencyRecord(user_id=world.member_a.id, key=key, request_hash="0" * 64,
                                         response_status=201, response_body={}, created_at=now - timedelta(days=age)))
    db.session.commit()
    assert api_tokens.forget_idempotency(now=now) == 1
    assert db.session.scalars(select(IdempotencyRecord.key)).all() == ["new-key-0001"]
    assert api_tokens.forget_idempotency(now=now) == 0
