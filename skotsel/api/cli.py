"""flask --app skotsel create-token EMAIL: a personal API token, printed once."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("create-token")
@with_appcontext
@click.argument("email")
@click.option("--name", default="API-nyckel", show_default=True, help="What the token is for (shown on the profile "
                                                                       "page).")
def create_token(email: str, name: str) -> None:
    """Make a new API token for the user signing in with EMAIL and print it (shown only this once)."""
    from sqlalchemy import select

    from skotsel.domain.errors import ValidationError
    from skotsel.extensions import db
    from skotsel.models import User
    from skotsel.services import api_tokens
    from skotsel.services.access import Principal
    from skotsel.services.users import normalise_email

    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"Ingen användare med e-postadressen {email} / no user with that e-mail address.")
    if not user.is_active:
        raise click.ClickException(f"{user.email} är inaktiverad / is deactivated.")
    try:
        row, token = api_tokens.create_token(principal=Principal.of(user), name=name)
    except ValidationError as error:
        raise click.ClickException(f"{error.message_sv} / {error.message_en}") from error
    click.echo(f"Ny API-nyckel för {user.name} <{user.email}> ({row.name}); visas bara nu / "
               f"new API token, shown only now:")
    click.echo(token)
