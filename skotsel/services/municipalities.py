"""Kommuner: add a municipality (the tenant) with its catalogue, and its staff."""
from __future__ import annotations

from sqlalchemy import select

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import Membership, Municipality, User
from skotsel.services import audit, transaction
from skotsel.services.catalogue import seed_catalogue
from skotsel.services.users import check_password_rules, find_user, normalise_email


def add_municipality(*, name: str, code: str) -> tuple[Municipality, int]:
    """Create the municipality and seed its task-type catalogue; return it and the number of task types."""
    name, code = name.strip(), code.strip()
    if not (len(code) == 4 and code.isdigit()):
        raise ValidationError("Kommunkoden ska ha fyra siffror, t.ex. 0765.",
                              "The municipality code must be four digits, e.g. 0765.", field="code")
    if db.session.scalar(select(Municipality.id).where((Municipality.name == name) | (Municipality.code == code))):
        raise ValidationError("Kommunen finns redan.", "The municipality already exists.", field="name")
    with transaction():
        municipality = Municipality(name=name, code=code)
        db.session.add(municipality)
        db.session.flush()
        seeded = seed_catalogue(municipality_id=municipality.id)
    return municipality, seeded


def add_staff(*, email: str, name: str, role: str, municipality_code: str, password: str,
              min_password_length: int) -> User:
    """Give a person a municipality role, creating their account if needed."""
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == municipality_code))
    if municipality is None:
        raise ValidationError("Ingen kommun har den koden.", "No municipality has that code.", field="municipality")
    if role not in ("admin", "reviewer"):
        raise ValidationError("Okänd roll.", "Unknown role.", field="role")
    user = find_user(email)
    if user is None:
        check_password_rules(password, min_length=min_password_length)
    with transaction():
        if user is None:
            user = User(email=normalise_email(email), name=name.strip())
            user.set_password(password)
            db.session.add(user)
        existing = next((m for m in user.memberships
                         if m.municipality_id == municipality.id and m.association_id is None), None)
        label = f"{user.name} <{user.email}> som {role}"
        if existing is None:
            membership = Membership(municipality_id=municipality.id, role=role)
            user.memberships.append(membership)
            audit.record_create(actor_id=None, obj=membership, label=label, fields=("role",))
        else:
            changes = audit.apply_changes(existing, {"role": role})
            if changes:
                audit.record(actor_id=None, action="update", obj=existing, label=label, changes=changes)
    return user
