"""Pages kept in memory between requests (skotsel.web.caching): the task list and the season dashboard are served
from what was rendered before as long as nothing they show has changed — and never a moment longer."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.models import Completion
from skotsel.services import compliance
from skotsel.web import workspace
from tests.conftest import login
from tests.web.test_workspace import TODAY, klart, logged, plan, text, today, token  # noqa: F401  (fixtures)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def unkeyed(html: str) -> str:
    """The page without its submission keys and CSRF tokens."""
    return re.sub(r'name="(token|csrf_token)" value="[^"]+"', "", html)


def never(*args, **kwargs):
    raise AssertionError("computed again although nothing changed")


def test_the_task_list_is_kept_until_something_changes(client, world, plan, monkeypatch):
    login(client, "medlem@a.example")
    first = text(client.get("/workspace/"))
    with monkeypatch.context() as patch:
        patch.setattr(workspace, "workload", never)
        second = text(client.get("/workspace/"))
        # The same page, but every form has a fresh submission key and the session's own CSRF token.
        assert token(second, plan.due.id) != token(first, plan.due.id)
        # (A signed CSRF token carries the second it was signed in; the session's secret before the first dot.)
        assert csrf_of(second).split(".")[0] == csrf_of(first).split(".")[0]
        assert len(set(re.findall(r'name="token" value="([^"]+)"', second))) == second.count('name="token"') > 1
        assert unkeyed(second) == unkeyed(first)
        # "Klart" from the kept page works; the change it makes is shown at once.
        assert klart(client, plan.due, second).status_code == 302
    assert db.session.scalar(select(func.count(Completion.id))) == 1
    after = text(client.get("/workspace/"))
    assert f"/workspace/occurrences/{plan.due.id}/done" not in after and "är rapporterat" in after
    again = text(client.get("/workspace/"))  # the message was shown once, and is not kept
    assert "är rapporterat" not in again


def test_each_person_gets_their_own_page(client, world, plan):
    login(client, "medlem@a.example")
    assert "Mia Medlem" in text(client.get("/workspace/"))
    client.get("/logout")
    client.post("/logout")
    other = client.application.test_client()
    login(other, "samordnare@a.example")
    html = text(other.get("/workspace/"))
    assert "Sam A" in html and "Mia Medlem" not in html


def test_another_municipalitys_change_keeps_the_page(client, world, plan, monkeypatch):
    login(client, "medlem@a.example")
    client.get("/workspace/")
    world.site_c.notes = "Ny bänk i Osby"
    db.session.commit()
    monkeypatch.setattr(workspace, "workload", never)
    assert client.get("/workspace/").status_code == 200


def test_the_edit_link_goes_when_its_window_runs_out_though_nothing_changed(client, app, world, plan, monkeypatch):
    completion = logged(world, plan.overdue, world.member_a, hours_ago=1)
    hours = app.config["COMPLETION_EDIT_HOURS"]
    login(client, "medlem@a.example")
    edit = f"/workspace/completions/{completion.id}/edit"
    assert edit in text(client.get("/workspace/"))
    later = datetime.now(timezone.utc) + timedelta(hours=hours)
    monkeypatch.setattr(workspace, "_now", lambda: later)
    assert edit not in text(client.get("/workspace/"))


def test_the_dashboard_is_kept_until_the_municipalitys_data_changes(client, world, plan, monkeypatch):
    login(client, "granskare@home.example")
    first = text(client.get("/review/?year=2026"))
    with monkeypatch.context() as patch:
        patch.setattr(compliance, "season_report", never)
        assert unkeyed(text(client.get("/review/?year=2026"))) == unkeyed(first)
        with pytest.raises(AssertionError, match="computed again"):
            client.get("/review/?year=2026&sort=-on_time")  # sorted otherwise: another page
    logged(world, plan.overdue, world.member_a, hours_ago=1)  # the 8 June check, done late
    changed = text(client.get("/review/?year=2026"))
    assert unkeyed(changed) != unkeyed(first)
