"""A data version per municipality: a counter that every committed change to the municipality's data raises.

It lets a reader tell "nothing changed" with one indexed read instead of recomputing what it shows: a calendar poll
compares the versions it was built from with the current ones and answers from what it stored (skotsel.web.feeds).

The counter is raised in the committing transaction itself (so the data and its version become visible together),
from the session: every new, changed or deleted row of a municipality's table, every bulk INSERT/UPDATE/DELETE run
through the session (by the `municipality_id` of its rows, or every municipality's counter when the statement does
not say), and a changed person (their name is shown on their work) for each municipality they belong to. Bookkeeping
that no view derives from — calendar-link and API-token use, idempotency records, the audit log, the e-mail outbox —
raises nothing, and neither do statements run with the `bookkeeping` execution option (a calendar link's last use
and its stored body). SQL written past the session (raw connections, psql) raises nothing either: nothing in the
application does that, and `flask db upgrade` is followed by a restart, which starts every cache afresh.
"""
from __future__ import annotations

import time
from functools import cache

from sqlalchemy import BigInteger, ForeignKey, bindparam, literal, select, update
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from skotsel.extensions import db
from skotsel.models.base import TenantMixin

#: Key in Session.info: the municipality ids changed in the open transaction, or ALL.
_CHANGED = "skotsel_changed_municipalities"
_USERS = "skotsel_changed_users"
ALL = "all"
#: An execution option for writes that only keep the books of a row no view shows (when a link was last used, what
#: its body was): `.execution_options(bookkeeping=True)` raises no version.
BOOKKEEPING = "bookkeeping"


class DataVersion(db.Model):
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"),
                                                 primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


@cache
def _quiet_models() -> tuple[type, ...]:
    from skotsel.models import ApiToken, AuditEvent, FeedEvent, IdempotencyRecord, LoginAttempt, Notification, \
        PasswordReset

    return (DataVersion, ApiToken, AuditEvent, FeedEvent, IdempotencyRecord, LoginAttempt, Notification,
            PasswordReset)


#: Built once: read on every calendar poll and kept page, so it should cost no more than its primary-key lookup.
_VERSIONS = select(DataVersion.municipality_id, DataVersion.version).where(
    DataVersion.municipality_id.in_(bindparam("ids", expanding=True)))


def versions(municipality_ids) -> dict[int, int]:
    """The current version of each municipality (0 before its first change)."""
    ids = sorted(set(municipality_ids))
    found = dict(db.session.execute(_VERSIONS, {"ids": ids}).all()) if ids else {}
    return {municipality_id: found.get(municipality_id, 0) for municipality_id in ids}


def _note(session: Session, municipality_id) -> None:
    changed = session.info.setdefault(_CHANGED, set())
    if municipality_id is None or municipality_id == ALL:
        changed.add(ALL)
    else:
        changed.add(municipality_id)


def _is_user(obj) -> bool:
    from skotsel.models import User

    return isinstance(obj, User)


def _is_municipality(obj) -> bool:
    from skotsel.models import Municipality

    return isinstance(obj, Municipality)


@event.listens_for(Session, "after_flush")
def _collect_flushed(session: Session, _context) -> None:
    quiet = _quiet_models()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, quiet):
            continue
        # Read without loading: a deleted row cannot be refreshed; not knowing its municipality means all.
        if _is_municipality(obj):
            _note(session, obj.__dict__.get("id"))
        elif isinstance(obj, TenantMixin):
            _note(session, obj.__dict__.get("municipality_id"))
        elif _is_user(obj):
            user_id = obj.__dict__.get("id")
            if user_id is None:
                _note(session, ALL)
            else:
                session.info.setdefault(_USERS, set()).add(user_id)


@event.listens_for(Session, "do_orm_execute")
def _collect_bulk(state) -> None:
    """INSERT, UPDATE and DELETE statements run through the session, ORM-enabled or on a table."""
    if not (state.is_insert or state.is_update or state.is_delete) or state.execution_options.get(BOOKKEEPING):
        return
    table = getattr(state.statement, "table", None)
    if table is None or table.name in _quiet_tables():
        return
    if "municipality_id" not in table.c and table.name not in ("municipality", "user"):
        return
    session = state.session
    parameters = state.parameters
    rows = parameters if isinstance(parameters, list) else [parameters] if parameters else []
    if state.is_insert and rows and all(isinstance(row, dict) and row.get("municipality_id") for row in rows):
        for row in rows:
            _note(session, row["municipality_id"])
    else:
        _note(session, ALL)


@cache
def _quiet_tables() -> frozenset[str]:
    return frozenset(model.__table__.name for model in _quiet_models())


@event.listens_for(Session, "before_commit")
def _raise_versions(session: Session) -> None:
    session.flush()
    users = session.info.pop(_USERS, set())
    if users:
        from skotsel.models import Membership

        for municipality_id in session.scalars(select(Membership.municipality_id)
                                               .where(Membership.user_id.in_(sorted(users))).distinct()):
            _note(session, municipality_id)
    changed = session.info.pop(_CHANGED, set())
    if not changed:
        return
    from skotsel.models import Municipality

    if ALL in changed:
        session.execute(update(DataVersion).values(version=DataVersion.version + 1))
        # ... and a first version for every municipality without a counter yet.
        changed = set(session.scalars(select(Municipality.id).where(
            Municipality.id.not_in(select(DataVersion.municipality_id)))))
        if not changed:
            return
    dialect = session.connection().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DataVersion)
    # Only municipalities that still exist (one deleted in this transaction takes its counter with it), in id order,
    # so two transactions raising the same counters never wait on each other crosswise.
    session.execute(insert.from_select(
        ["municipality_id", "version"],
        select(Municipality.id, literal(_first_version())).where(Municipality.id.in_(sorted(changed)))
        .order_by(Municipality.id),
    ).on_conflict_do_update(index_elements=["municipality_id"], set_={"version": DataVersion.version + 1}))


def _first_version() -> int:
    """A counter starts at the current time in microseconds, not at 1: a municipality's counter made again (a
    database emptied and seeded anew, as the tests do) never repeats a number a worker may have cached pages for."""
    return time.time_ns() // 1000


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_USERS, None)
