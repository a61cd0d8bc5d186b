"""Alembic builds the schema the models describe, and can take it down again."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from skotsel import create_app
from skotsel.extensions import db
from tests.conftest import PG_URL, _fresh_postgres_database


def test_models_and_migrations_agree(app):
    """The session schema came from `flask db upgrade`; autogenerate must find nothing left to do."""
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrade_builds_an_empty_database_and_downgrade_removes_it(tmp_path):
    url = _fresh_postgres_database(PG_URL, "migrations") if PG_URL else f"sqlite:///{tmp_path / 'm.sqlite'}"
    fresh = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x"})
    with fresh.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"municipality", "village", "association", "user", "membership", "site", "task_type",
                "agreement", "agreed_task", "audit_event", "invitation"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
    create_engine(url).dispose()


def test_the_migrations_build_every_check_and_unique_constraint_of_the_models(app):
    """Autogenerate does not compare CHECK constraints, so compare their names table by table."""
    from sqlalchemy import CheckConstraint, UniqueConstraint

    with app.app_context():
        inspector = inspect(db.engine)
        for table in db.metadata.sorted_tables:
            model_checks = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
            model_uniques = {c.name for c in table.constraints if isinstance(c, UniqueConstraint)}
            assert {c["name"] for c in inspector.get_check_constraints(table.name)} >= model_checks, table.name
            database_uniques = {c["name"] for c in inspector.get_unique_constraints(table.name)}
            database_uniques |= {i["name"] for i in inspector.get_indexes(table.name) if i["unique"]}
            assert database_uniques >= model_uniques, table.name
