"""Shared fixtures: a migrated template database copied per test, PostgreSQL when asked.

Migrations run once per test run. SQLite tests copy the migrated template file;
PostgreSQL tests (HEARTH_TEST_POSTGRES_URL) use a schema unique to the run and
empty every table between tests. With CI=true a missing service fails the test.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hearth.db import Database
from hearth.migrate import upgrade
from hearth.models import metadata
from hearth.runtime import Runtime
from hearth.security import crypto
from hearth.security.keys import open_keyring
from hearth.settings import Settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
RUN_ID = uuid.uuid4().hex[:10]


def need_service(name: str, available: bool, hint: str) -> None:
    """Skip a test whose service is missing, or fail it under CI=true."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is required in CI but not available: {hint}")
    pytest.skip(f"{name} not available: {hint}")


def postgres_url() -> str | None:
    url = os.environ.get("HEARTH_TEST_POSTGRES_URL")
    if not url:
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def redis_url() -> str | None:
    return os.environ.get("HEARTH_TEST_REDIS_URL") or None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_backends") is not None
        metafunc.parametrize("backend", ["sqlite", "postgres"] if both else ["sqlite"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_backends: run on SQLite and (when configured) PostgreSQL"
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with a migrated SQLite database and keys, made once per run."""
    data = tmp_path_factory.mktemp("template")
    settings = Settings(env="test", data_dir=data).prepare()
    rt = Runtime.open(settings, migrate=True)
    rt.close()
    con = sqlite3.connect(data / "hearth.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return data


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str | None]:
    """A PostgreSQL URL whose search_path is a schema unique to this run, migrated once."""
    url = postgres_url()
    if url is None:
        yield None
        return
    schema = f"hearth_test_{RUN_ID}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    db = Database(scoped)
    upgrade(db.engine)
    db.dispose()
    yield scoped
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def settings(
    tmp_path: Path, sqlite_template: Path, backend: str, postgres_schema_url: str | None
) -> Settings:
    """Settings for one test: its own data dir with the template's keys."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("master.key", "secret.key"):
        shutil.copy2(sqlite_template / name, data / name)
    os.chmod(data / "master.key", 0o600)
    if backend == "postgres":
        need_service("PostgreSQL", postgres_schema_url is not None, "set HEARTH_TEST_POSTGRES_URL")
        db_url = postgres_schema_url
    else:
        shutil.copy2(sqlite_template / "hearth.db", data / "hearth.db")
        db_url = None
    secret = (data / "secret.key").read_text().strip()
    return Settings(
        env="test",
        data_dir=data,
        database_url=db_url,
        secret_key=secret,
        queue_name=f"hearth-test-{RUN_ID}",
        immediate_jobs=True,
    )


@pytest.fixture
def runtime(settings: Settings, backend: str) -> Iterator[Runtime]:
    """An open Runtime on a fresh copy of the migrated database."""
    crypto.KEYRING.clear()
    if backend == "postgres":
        db = Database(settings.effective_database_url)
        tables = ", ".join(
            f'"{t.name}"' for t in metadata.sorted_tables if t.name != "alembic_version"
        )
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        master = crypto.read_master_key(settings.effective_master_key_file)
        open_keyring(db, master)
        rt = Runtime(settings=settings.prepare(), db=db)
    else:
        rt = Runtime.open(settings)
    yield rt
    rt.close()
    crypto.KEYRING.clear()
