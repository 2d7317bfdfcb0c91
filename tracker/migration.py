"""Schema versions: upgrade, report and check the database against the code's migrations."""

from __future__ import annotations


from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from tracker.config import PROJECT_ROOT
from tracker.errors import ConfigError, DatabaseVersionError

MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    if len(heads) != 1:
        raise ConfigError(f"迁移脚本有多个头 / migrations have several heads: {heads}")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise ConfigError(f"无法连接数据库 / cannot reach the database: {_first_line(exc)}") from None


def check_database_version(engine: Engine) -> None:
    """Refuse a database at a revision this code does not know (newer code ran on it)."""
    revision = current_revision(engine)
    if revision is None:
        return
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        script.get_revision(revision)
    except Exception:  # alembic raises several types for unknown revisions
        raise DatabaseVersionError(
            f"数据库版本 {revision} 比本程序新，请升级程序 / "
            f"the database is at revision {revision}, newer than this code"
        ) from None


def require_head(engine: Engine) -> None:
    """Serve only a database whose schema is exactly the code's head."""
    check_database_version(engine)
    revision = current_revision(engine)
    if revision != head_revision():
        raise DatabaseVersionError(
            f"数据库尚未升级（当前 {revision or '空'}），请先运行 tracker db upgrade / "
            "the database is not upgraded; run `tracker db upgrade`"
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


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)) or exc.__class__.__name__
    return text.strip().splitlines()[0]


__all__ = ["MIGRATIONS", "current_revision", "downgrade", "head_revision", "upgrade"]
