"""Use cases: the only code that writes. One call is one transaction; rule breaks raise ValidationError."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db


@contextmanager
def transaction() -> Iterator[None]:
    """Commit what the block did, or roll all of it back on any error.

    Blocks nest: only the outermost commits, so a use case made of other use cases (a new municipality and its
    catalogue, the whole demo) is still one transaction.
    """
    depth = db.session.info.get("transaction_depth", 0)
    db.session.info["transaction_depth"] = depth + 1
    try:
        yield
        if depth == 0:
            db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        # The checks before writing passed, but a concurrent request wrote the same thing first: the database's
        # unique constraint caught it. Say so instead of failing with a server error.
        raise ValidationError(
            "Någon annan sparade samma sak alldeles nyss. Ladda om sidan och försök igen.",
            "Someone else saved the same thing just now. Reload the page and try again.",
        ) from error
    except BaseException:
        if depth == 0:
            db.session.rollback()
        raise
    finally:
        db.session.info["transaction_depth"] = depth


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
