"""Föreningar: the associations a municipality makes agreements with."""
from __future__ import annotations

from sqlalchemy.orm import joinedload

from skotsel.domain.errors import ValidationError
from skotsel.domain.organisations import normalise_org_number
from skotsel.extensions import db
from skotsel.models import Agreement, Association, Site, Village
from skotsel.services import audit, ensure_unique, transaction
from skotsel.services.access import Principal, visible
from skotsel.services.users import is_email_address

FIELDS = ("name", "org_number", "village_id", "contact_name", "email", "phone")

# Only the shape: one @, something on both sides, a dot in the domain. Whether mail arrives is the inbox's business.


def _text(values: dict, name: str, max_length: int, message_sv: str, message_en: str) -> str:
    value = (values.get(name) or "").strip()
    if len(value) > max_length:
        raise ValidationError(message_sv, message_en, field=name)
    return value


def _clean(municipality_id: int, exclude_id: int | None, values: dict) -> dict:
    name = _text(values, "name", 200, "Namnet får vara högst 200 tecken.", "The name may be at most 200 characters.")
    if not name:
        raise ValidationError("Ange föreningens namn.", "Enter the association's name.", field="name")
    try:
        org_number = normalise_org_number(values.get("org_number") or "")
    except ValidationError as error:
        raise ValidationError(error.message_sv, error.message_en, field="org_number") from error
    village_id = values.get("village_id") or None
    if village_id is not None:
        village = db.session.get(Village, village_id)
        if village is None or village.municipality_id != municipality_id:
            raise ValidationError("Välj en ort i kommunen.", "Choose a village in the municipality.",
                                  field="village_id")
    email = _text(values, "email", 254, "E-postadressen är för lång.", "The e-mail address is too long.").lower()
    if email and not is_email_address(email):
        raise ValidationError("Ange en giltig e-postadress, till exempel namn@forening.se.",
                              "Enter a valid e-mail address, for example name@association.se.", field="email")
    cleaned = {
        "name": name,
        "org_number": org_number,
        "village_id": village_id,
        "contact_name": _text(values, "contact_name", 200, "Namnet får vara högst 200 tecken.",
                              "The name may be at most 200 characters."),
        "email": email,
        "phone": _text(values, "phone", 40, "Telefonnumret får vara högst 40 tecken.",
                       "The phone number may be at most 40 characters."),
    }
    ensure_unique(Association, Association.name, name, municipality_id=municipality_id, exclude_id=exclude_id,
                  message_sv="Det finns redan en förening med det namnet.",
                  message_en="There is already an association with that name.", field="name")
    ensure_unique(Association, Association.org_number, org_number, municipality_id=municipality_id,
                  exclude_id=exclude_id, message_sv="Det finns redan en förening med det organisationsnumret.",
                  message_en="There is already an association with that organisation number.", field="org_number")
    return cleaned


def create_association(*, actor_id: int | None, municipality_id: int, **values) -> Association:
    cleaned = _clean(municipality_id, None, values)
    with transaction():
        association = Association(municipality_id=municipality_id, **cleaned)
        db.session.add(association)
        audit.record_create(actor_id=actor_id, obj=association, label=association.name, fields=FIELDS)
    return association


def update_association(*, actor_id: int | None, association: Association, **values) -> None:
    cleaned = _clean(association.municipality_id, association.id, values)
    with transaction():
        changes = audit.apply_changes(association, cleaned)
        if changes:
            audit.record(actor_id=actor_id, action="update", obj=association, label=association.name,
                         changes=changes)


def agreements_of(principal: Principal, association: Association) -> list[Agreement]:
    """The association's agreements the principal may see, newest first."""
    return list(db.session.scalars(
        visible(principal, Agreement).where(Agreement.association_id == association.id)
        .order_by(Agreement.starts_on.desc(), Agreement.title)
    ))


def sites_of(principal: Principal, association: Association) -> list[Site]:
    """The sites the association keeps that the principal may see, by name, with their villages."""
    return list(db.session.scalars(
        visible(principal, Site).where(Site.association_id == association.id)
        .options(joinedload(Site.village)).order_by(Site.name)
    ))
