"""Schema versions: upgrade, report and check the database against the code's migrations."""

from __future__ import annotations


from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from tracker.config import PROJECT_ROOT
from tracker.db_errors import database_failure
from tracker.errors import ConfigError, DatabaseUnavailable, DatabaseVersionError

MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    if len(heads) != 1:
        raise ConfigError(f"迁移脚本有多个头：{', '.join(heads)}（请合并迁移）")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        raise (database_failure(exc) or DatabaseUnavailable()) from None


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this code's migrations (else newer code made it)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic raises several types for unknown revisions
        return False


def check_database_version(engine: Engine) -> None:
    """Refuse a database at a revision this code does not know (newer code ran on it)."""
    revision = current_revision(engine)
    if revision is not None and not is_known_revision(revision):
        raise DatabaseVersionError(f"数据库版本 {revision} 比本程序新，请升级程序")


def require_head(engine: Engine) -> None:
    """Serve only a database whose schema is exactly the code's head."""
    check_database_version(engine)
    revision = current_revision(engine)
    if revision != head_revision():
        raise DatabaseVersionError(
            f"数据库尚未升级（当前 {revision or '空'}），请先运行 tracker db upgrade"
        )


def upgrade(database_url: str, engine: Engine, revision: str = "head") -> None:
    check_database_version(engine)
    with engine.begin() as connection:
        config = alembic_config(database_url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database_url: str, engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config(database_url)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


__all__ = ["MIGRATIONS", "current_revision", "downgrade", "head_revision", "is_known_revision", "upgrade"]
