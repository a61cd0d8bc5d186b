"""flask commands: demo data, and first-time setup of a municipality and its staff."""
from __future__ import annotations

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    for command in (demo_data, create_municipality, create_staff):
        app.cli.add_command(command)


@click.command("demo-data")
def demo_data() -> None:
    """Load the Älmhult demo data (safe to run again: changes nothing the second time)."""
    from skotsel.services.demo import load_demo_data

    created = load_demo_data(upload_folder=current_app.config["UPLOAD_FOLDER"])
    click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")


@click.command("create-municipality")
@click.argument("name")
@click.argument("code")
def create_municipality(name: str, code: str) -> None:
    """Add a municipality NAME with its four-digit kommunkod CODE and seed its task-type catalogue."""
    from skotsel.domain.errors import ValidationError
    from skotsel.services.municipalities import add_municipality

    try:
        municipality, seeded = add_municipality(name=name, code=code)
    except ValidationError as error:
        raise click.ClickException(error.message_en) from error
    click.echo(f"Created {municipality.name} ({municipality.code}) with {seeded} task types.")


@click.command("create-staff")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice(["admin", "reviewer"]), default="admin", show_default=True)
@click.option("--municipality", "code", required=True, help="Four-digit kommunkod, e.g. 0765.")
@click.password_option(help="At least 12 characters; asked for when not given.")
def create_staff(email: str, name: str, role: str, code: str, password: str) -> None:
    """Create (or give a role to) a municipality admin or reviewer who signs in with EMAIL."""
    from skotsel.domain.errors import ValidationError
    from skotsel.services.municipalities import add_staff

    try:
        user = add_staff(email=email, name=name, role=role, municipality_code=code, password=password,
                         min_password_length=current_app.config["PASSWORD_MIN_LENGTH"])
    except ValidationError as error:
        raise click.ClickException(error.message_en) from error
    click.echo(f"{user.email} is now {role} of municipality {code}.")
