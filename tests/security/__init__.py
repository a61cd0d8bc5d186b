"""Security sweeps over every route: who reaches what (route × role matrix), what one association can do to
another's rows (cross-tenant), and what random form input does (fuzzing).

This module holds what the three share: the objects of one association (an occurrence, a completion with a photo,
a deviation, an inspection, an invitation, a calendar link, an API token, a signed agreement PDF) and the filling
of a rule's placeholders with their ids."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from PIL import Image

from skotsel.extensions import db
from skotsel.models import Completion, Deviation, Inspection, Invitation, Occurrence
from skotsel.services import api_tokens, feeds
from skotsel.services.access import Principal
from skotsel.services.agreements import attach_document
from skotsel.services.photos import store_photo
from skotsel.services.settlements import compute_settlement
from skotsel.services.secret_tokens import hash_token

TODAY = date(2026, 6, 20)
ON = date(2026, 6, 14)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
      b"trailer<</Root 1 0 R>>\n%%EOF\n"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "JPEG")
    return out.getvalue()


@dataclass
class Tenant:
    """One association's objects and the values that fill a rule's placeholders with them."""

    key: str
    ids: dict[str, int | str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def tenant_objects(world, key: str, upload_folder: str, owner) -> Tenant:
    """Association `key`'s (a, b or c) objects: the world's site, agreement and task, and one of everything
    else; the calendar link and the API token belong to `owner` (a user of that association)."""
    association = getattr(world, f"association_{key}", None) or getattr(world, key)
    site, agreement, task = (getattr(world, f"{name}_{key}") for name in ("site", "agreement", "task"))
    municipality_id = association.municipality_id
    occurrence = Occurrence(municipality_id=municipality_id, agreed_task_id=task.id, planned_on=ON, due_on=ON,
                            window_starts_on=date(2026, 6, 1))
    db.session.add(occurrence)
    db.session.flush()
    # A second occurrence, still open, for the routes that act on one (done, log, excuse, move).
    open_occurrence = Occurrence(municipality_id=municipality_id, agreed_task_id=task.id,
                                 planned_on=date(2026, 6, 28), due_on=date(2026, 6, 28),
                                 window_starts_on=date(2026, 6, 15))
    db.session.add(open_occurrence)
    db.session.flush()
    completion = Completion(municipality_id=municipality_id, occurrence_id=occurrence.id, site_id=site.id,
                            task_type_id=task.task_type_id, completed_on=ON, user_id=owner.id)
    deviation = Deviation(municipality_id=municipality_id, source="inspection", agreement_id=agreement.id,
                          site_id=site.id, description="Sanden behöver krattas", fix_by_on=date(2026, 7, 3),
                          status="open")
    inspection = Inspection(municipality_id=municipality_id, agreement_id=agreement.id, inspected_on=ON,
                            notes="")
    invitation_token = f"{key}" * 43
    invitation = Invitation(municipality_id=municipality_id, association_id=association.id,
                            email=f"ny@{key}.example", name="Ny Medlem", role="member",
                            token_hash=hash_token(invitation_token),
                            expires_at=datetime(2099, 12, 1, tzinfo=timezone.utc))
    db.session.add_all([completion, deviation, inspection, invitation])
    db.session.commit()
    photo = store_photo(file=io.BytesIO(_jpeg()), filename="klippt.jpg", upload_folder=upload_folder,
                        max_bytes=1024 * 1024, max_pixels=10**6, uploaded_by_id=owner.id, completion=completion)
    db.session.commit()
    attach_document(actor_id=None, agreement=agreement, file=io.BytesIO(PDF), filename="avtal.pdf",
                    upload_folder=upload_folder, max_bytes=1024 * 1024)
    db.session.commit()
    compute_settlement(actor_id=None, agreement=agreement, year=2026, today=TODAY)
    db.session.commit()
    feed_row, feed_token = feeds.create_token(principal=Principal.of(owner), kind="personal")
    api_row, api_token = api_tokens.create_token(principal=Principal.of(owner), name=f"sweep {key}")
    db.session.commit()
    tenant = Tenant(key=key, tokens={"api": api_token, "feed": feed_token})
    tenant.ids = {
        "agreement_id": agreement.id, "site_id": site.id, "task_id": task.id, "association_id": association.id,
        "village_id": (world.village if key != "c" else world.other_village).id,
        "task_type_id": (world.task_type if key != "c" else world.other_task_type).id,
        "membership_id": owner.memberships[0].id, "user_id": owner.id, "occurrence_id": open_occurrence.id,
        "completion_id": completion.id, "deviation_id": deviation.id, "inspection_id": inspection.id,
        "photo_id": photo.id, "invitation_id": invitation.id, "year": 2026, "name": "nothing-here.eml",
        "filename": "skotsel.css", "token": feed_token,
    }
    # subscribe.* (calendar links) and profile.revoke_api_token share the name token_id; see token_id_for().
    tenant.ids["feed_token_id"], tenant.ids["api_token_id"] = feed_row.id, api_row.id
    return tenant


def fill(rule: str, endpoint: str, tenant: Tenant) -> str:
    """The URL of `rule` with `tenant`'s ids (the rule's own token: invitation or calendar link)."""
    ids = dict(tenant.ids)
    ids["token_id"] = ids["api_token_id"] if endpoint.startswith("profile.") else ids["feed_token_id"]
    if endpoint == "auth.invitation":
        ids["token"] = tenant.key * 43
    if endpoint == "leaflet_static":
        ids["filename"] = "leaflet.js"
    url = rule
    for name, value in ids.items():
        url = url.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        url = url.replace(f"<path:{name}>", str(value))
    assert "<" not in url, f"no value for a placeholder in {rule}: add it to tests/security/__init__.py"
    return url


def routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every route, HEAD and OPTIONS left out."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


def csrf_token_of(client) -> str:
    """A valid CSRF token for the client's session (every page carries one in its language switch)."""
    page = client.get("/profile")
    if page.status_code != 200:
        page = client.get("/login")
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert found, "no CSRF token on /profile or /login"
    return found.group(1)
