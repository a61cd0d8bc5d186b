"""The one access check: which objects a user may read or change, scoped to municipality and association.

Municipality admins read and change everything in their municipality; reviewers read it. Coordinators and
members read their own association's agreements, sites and members; coordinators also manage the members.
Everything else is invisible: loading it raises NotFound, exactly as a missing id does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from skotsel.extensions import db
from skotsel.models import (
    AgreedTask,
    Agreement,
    Association,
    AuditEvent,
    Completion,
    Deviation,
    FeedToken,
    Inspection,
    InspectionResult,
    Invitation,
    Membership,
    Municipality,
    Notification,
    Occurrence,
    Photo,
    Settlement,
    Site,
    TaskType,
    User,
    Village,
)

M = TypeVar("M")
#: What reviewers (granskare) change as well as admins: the municipality's follow-up.
FOLLOW_UP = (Inspection, InspectionResult, Settlement, Deviation)


class NotFound(Exception):
    """The object does not exist, or the user may not know that it does."""


class Forbidden(Exception):
    """The user may see the object but not do this to it."""


@dataclass(frozen=True)
class Principal:
    """What a user may do, read once from their memberships."""

    user_id: int | None = None
    admin_of: frozenset[int] = field(default_factory=frozenset)
    reviewer_of: frozenset[int] = field(default_factory=frozenset)
    coordinator_of: frozenset[int] = field(default_factory=frozenset)
    member_of: frozenset[int] = field(default_factory=frozenset)
    #: Municipality of each association the user belongs to.
    association_municipality: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, user: User | None) -> Principal:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return cls()
        return cls.of_memberships(user.id, user.memberships)

    @classmethod
    def of_memberships(cls, user_id: int, memberships) -> Principal:
        """From an active user's memberships (rows or objects with municipality_id, association_id and role)."""
        roles: dict[str, set[int]] = {"admin": set(), "reviewer": set(), "coordinator": set(), "member": set()}
        association_municipality = {}
        for membership in memberships:
            if membership.association_id is None:
                roles[membership.role].add(membership.municipality_id)
            else:
                roles[membership.role].add(membership.association_id)
                association_municipality[membership.association_id] = membership.municipality_id
        return cls(
            user_id=user_id,
            admin_of=frozenset(roles["admin"]),
            reviewer_of=frozenset(roles["reviewer"]),
            coordinator_of=frozenset(roles["coordinator"]),
            member_of=frozenset(roles["member"]),
            association_municipality=association_municipality,
        )

    @property
    def staff_of(self) -> frozenset[int]:
        """Municipalities where the user is admin or reviewer."""
        return self.admin_of | self.reviewer_of

    @property
    def associations(self) -> frozenset[int]:
        return self.coordinator_of | self.member_of

    @property
    def municipalities(self) -> frozenset[int]:
        return self.staff_of | frozenset(self.association_municipality.values())

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_of)

    @property
    def home_municipality_id(self) -> int | None:
        """The municipality whose pages the user works in (the lowest id when there are several)."""
        ids = self.staff_of or self.municipalities
        return min(ids) if ids else None


def _in(column, ids: frozenset[int]) -> ColumnElement[bool]:
    return column.in_(sorted(ids)) if ids else false()


def read_scope(principal: Principal, model: type) -> ColumnElement[bool]:
    """A WHERE clause that keeps the rows of `model` the principal may read."""
    staff, associations = principal.staff_of, principal.associations
    if model is Municipality:
        return _in(Municipality.id, principal.municipalities)
    if model in (Village, TaskType):
        return _in(model.municipality_id, principal.municipalities)
    if model is Association:
        return or_(_in(Association.municipality_id, staff), _in(Association.id, associations))
    if model in (Site, Agreement, Invitation, Membership):
        return or_(_in(model.municipality_id, staff), _in(model.association_id, associations))
    if model is AgreedTask:
        own_agreements = select(Agreement.id).where(_in(Agreement.association_id, associations))
        return or_(_in(AgreedTask.municipality_id, staff), AgreedTask.agreement_id.in_(own_agreements))
    if model is Occurrence:
        own_tasks = select(AgreedTask.id).join(Agreement).where(_in(Agreement.association_id, associations))
        return or_(_in(Occurrence.municipality_id, staff), Occurrence.agreed_task_id.in_(own_tasks))
    if model is Completion:
        # The association that logged the work keeps it, even when the site later passes to another.
        return or_(_in(Completion.municipality_id, staff), _in(Completion.association_id, associations))
    if model is Deviation:
        own_agreements = select(Agreement.id).where(_in(Agreement.association_id, associations))
        return or_(_in(Deviation.municipality_id, staff), Deviation.agreement_id.in_(own_agreements))
    if model is Photo:
        return or_(Photo.completion_id.in_(select(Completion.id).where(read_scope(principal, Completion))),
                   Photo.deviation_id.in_(select(Deviation.id).where(read_scope(principal, Deviation))),
                   Photo.inspection_result_id.in_(
                       select(InspectionResult.id).where(read_scope(principal, InspectionResult))))
    if model in (Inspection, Settlement):
        own_agreements = select(Agreement.id).where(_in(Agreement.association_id, associations))
        return or_(_in(model.municipality_id, staff), model.agreement_id.in_(own_agreements))
    if model is InspectionResult:
        inspections = select(Inspection.id).where(read_scope(principal, Inspection))
        return InspectionResult.inspection_id.in_(inspections)
    if model is Notification:
        # Admins see every e-mail of the municipality; coordinators their association's, to follow up failures.
        return or_(_in(Notification.municipality_id, principal.admin_of),
                   _in(Notification.association_id, principal.coordinator_of))
    if model is User:
        if principal.user_id is None:
            return false()
        visible = select(Membership.user_id).where(read_scope(principal, Membership))
        return or_(User.id == principal.user_id, User.id.in_(visible))
    if model is AuditEvent:
        return _in(AuditEvent.municipality_id, principal.admin_of)
    if model is FeedToken:
        # A calendar link is its owner's alone: not even an admin sees another person's.
        return FeedToken.user_id == principal.user_id if principal.user_id is not None else false()
    raise TypeError(f"no access rule for {model.__name__}")


def can_write(principal: Principal, obj) -> bool:
    """Whether the principal may change or delete `obj` (which they can already read)."""
    if isinstance(obj, AuditEvent):
        return False  # the log is never edited, by anyone
    if isinstance(obj, FeedToken):
        return principal.user_id is not None and obj.user_id == principal.user_id
    municipality_id = obj.id if isinstance(obj, Municipality) else getattr(obj, "municipality_id", None)
    if municipality_id in principal.admin_of:
        return True
    if isinstance(obj, FOLLOW_UP) and municipality_id in principal.staff_of:
        return True  # following up is the reviewers' work: inspections, deviations, settlements
    if isinstance(obj, (Membership, Invitation)) and obj.association_id is not None:
        return obj.association_id in principal.coordinator_of
    return False


def can_create(principal: Principal, model: type, *, municipality_id: int, association_id: int | None = None) -> bool:
    """Whether the principal may add a new `model` row to this municipality (or association)."""
    if municipality_id in principal.admin_of:
        return True
    if model in FOLLOW_UP and municipality_id in principal.staff_of:
        return True
    if model in (Membership, Invitation) and association_id is not None:
        return (
            association_id in principal.coordinator_of
            and principal.association_municipality.get(association_id) == municipality_id
        )
    if model in (Completion, Photo) and association_id is not None:
        # Anyone in the association logs work on its sites (and adds photos to it).
        return principal.association_municipality.get(association_id) == municipality_id
    return False


def visible(principal: Principal, model: type[M]):
    """SELECT of every `model` row the principal may read; add order and filters to it."""
    return select(model).where(read_scope(principal, model))


def load(principal: Principal, model: type[M], object_id: int | None, action: str = "read") -> M:
    """Load one object through the access check: NotFound if invisible or missing, Forbidden if read-only."""
    if object_id is None:
        raise NotFound(model.__name__)
    obj = db.session.scalar(visible(principal, model).where(model.id == object_id))
    if obj is None:
        raise NotFound(f"{model.__name__} {object_id}")
    if action == "write" and not can_write(principal, obj):
        raise Forbidden(f"{model.__name__} {object_id}")
    return obj


def require_create(principal: Principal, model: type, *, municipality_id: int | None,
                   association_id: int | None = None) -> None:
    """Raise Forbidden unless the principal may create a `model` here."""
    if municipality_id is None or not can_create(
        principal, model, municipality_id=municipality_id, association_id=association_id
    ):
        raise Forbidden(model.__name__)


