"""Migrations: empty → head, models agree with migrations, one step down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tracker import migration
from tracker.db import Base, make_engine


def test_upgrade_compare_downgrade_upgrade(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    try:
        migration.upgrade(fresh_database_url, engine)
        assert migration.current_revision(engine) == migration.head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"

        tables_at_head = set(inspect(engine).get_table_names())
        migration.downgrade(fresh_database_url, engine, "-1")
        assert migration.current_revision(engine) != migration.head_revision()
        migration.upgrade(fresh_database_url, engine)
        assert migration.current_revision(engine) == migration.head_revision()
        assert set(inspect(engine).get_table_names()) == tables_at_head
    finally:
        engine.dispose()


def test_revision_files_are_date_first() -> None:
    names = sorted(p.name for p in (migration.MIGRATIONS / "versions").glob("*.py"))
    assert names, "no revision files"
    for name in names:
        assert name[:8].isdigit() and name[8] == "_", name
