"""Use cases: the only code that writes. One call is one transaction; rule breaks raise ValidationError."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from skotsel.extensions import db


@contextmanager
def transaction() -> Iterator[None]:
    """Commit what the block did, or roll all of it back on any error."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def ensure_unique(model, column, value, *, municipality_id: int, exclude_id: int | None,
                  message_sv: str, message_en: str, field: str) -> None:
    """Raise ValidationError when another row of this municipality already has `value` in `column`."""
    from sqlalchemy import select

    from skotsel.domain.errors import ValidationError

    query = select(model.id).where(column == value, model.municipality_id == municipality_id)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationError(message_sv, message_en, field=field)
