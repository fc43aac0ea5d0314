"""The `hearth` command, driven through Typer's CliRunner against each test's own database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from hearth import __version__
from hearth.cli import app
from hearth.practice.models import Clinician
from hearth.security.models import AuditEvent, User

runner = CliRunner()


@pytest.fixture
def env(settings) -> dict[str, str]:
    """HEARTH_* variables pointing the CLI at the test's data dir and database."""
    out = {
        "HEARTH_ENV": "test",
        "HEARTH_DATA_DIR": str(settings.data_dir),
        "HEARTH_SECRET_KEY": settings.secret_key.get_secret_value(),
        "HEARTH_QUEUE_NAME": settings.queue_name,
        "HEARTH_IMMEDIATE_JOBS": "true",
    }
    if settings.database_url:
        out["HEARTH_DATABASE_URL"] = settings.database_url
    return out


@pytest.fixture
def production_env(env, settings, tmp_path: Path) -> dict[str, str]:
    """A valid production configuration: long secret, master key outside the data dir."""
    keys = tmp_path / "keys"
    keys.mkdir()
    shutil.copy2(settings.data_dir / "master.key", keys / "master.key")
    return {
        **env,
        "HEARTH_ENV": "production",
        "HEARTH_SECRET_KEY": "p" * 48,
        "HEARTH_MASTER_KEY_FILE": str(keys / "master.key"),
    }


@pytest.fixture
def no_server(monkeypatch):
    """Record what would be served instead of blocking in uvicorn."""
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    return calls


def invoke(args: list[str], env: dict[str, str], **kw):
    return runner.invoke(app, args, env=env, **kw)


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def system_audit_rows(runtime) -> list[AuditEvent]:
    with runtime.db.transaction() as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.actor_kind == "system").order_by("seq"))
        )


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"hearth {__version__}"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["serve"],
        ["worker"],
        ["db"],
        ["db", "upgrade"],
        ["demo"],
        ["demo", "seed"],
        ["users"],
        ["users", "create"],
        ["users", "list"],
        ["users", "disable"],
        ["users", "enable"],
        ["audit"],
        ["audit", "verify"],
    ],
)
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert len(result.output.strip().splitlines()) > 3


def test_users_create_list_disable_enable(runtime, env):
    result = invoke(
        [
            "users",
            "create",
            "--email",
            "Casey@Example.test",
            "--name",
            "Casey Cli",
            "--role",
            "clinician",
            "--role",
            "supervisor",
            "--password",
            "a-long-enough-password",
        ],
        env,
    )
    assert result.exit_code == 0, result.output
    assert "created casey@example.test" in result.stdout

    listed = invoke(["users", "list"], env)
    assert listed.exit_code == 0
    assert "casey@example.test" in listed.stdout and "supervisor" in listed.stdout

    assert invoke(["users", "disable", "casey@example.test"], env).exit_code == 0
    with runtime.db.transaction() as s:
        user = s.scalars(select(User).where(User.email == "casey@example.test")).one()
        assert not user.active
        assert user.role_set == {"clinician", "supervisor"}
        profile = s.scalars(select(Clinician).where(Clinician.user_id == user.id)).one()
        assert profile.supervisor_id is None
    assert "no" in invoke(["users", "list"], env).stdout
    assert invoke(["users", "enable", "casey@example.test"], env).exit_code == 0
    with runtime.db.transaction() as s:
        user = s.scalars(select(User).where(User.email == "casey@example.test")).one()
        assert user.active

    rows = system_audit_rows(runtime)
    assert [r.action for r in rows] == ["user.create", "user.disable", "user.enable"]
    assert all(r.record_ids == [user.id] for r in rows)
    assert all(r.detail and r.detail.startswith("os user ") for r in rows)
    assert all("a-long-enough-password" not in (r.detail or "") + (r.path or "") for r in rows)


def test_users_create_prompts_for_a_hidden_password(runtime, env):
    result = invoke(
        ["users", "create", "--email", "p@example.test", "--name", "P", "--role", "biller"],
        env,
        input="prompted-password-1\nprompted-password-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "prompted-password-1" not in result.output
    from hearth.security.service import authenticate

    with runtime.db.transaction() as s:
        authenticate(s, runtime.settings, "p@example.test", "prompted-password-1")


def test_bad_input_is_one_clear_line_and_writes_nothing(runtime, env):
    args = ["users", "create", "--email", "q@example.test", "--name", "Q"]
    result = invoke([*args, "--role", "wizard", "--password", "long-enough-pass"], env)
    assert_one_line_error(result, "unknown roles: wizard")
    result = invoke([*args, "--role", "biller", "--password", "short"], env)
    assert_one_line_error(result, "12 characters")
    assert_one_line_error(invoke(["users", "disable", "nobody@example.test"], env), "nobody")
    with runtime.db.transaction() as s:
        assert s.scalars(select(User)).first() is None
    assert system_audit_rows(runtime) == []


def test_audit_verify_intact_then_tampered_names_the_row(runtime, env):
    for email in ("a@example.test", "b@example.test"):
        args = ["users", "create", "--email", email, "--name", "A", "--role", "biller"]
        assert invoke([*args, "--password", "long-enough-pass"], env).exit_code == 0
    ok = invoke(["audit", "verify"], env)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip() == "audit chain intact: 2 rows"

    with runtime.db.transaction() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 1).values(detail="os user mallory"))
    assert_one_line_error(invoke(["audit", "verify"], env), "row 1", "changed")


def test_audit_verify_catches_the_newest_row_deleted(runtime, env):
    for email in ("a@example.test", "b@example.test"):
        args = ["users", "create", "--email", email, "--name", "A", "--role", "biller"]
        assert invoke([*args, "--password", "long-enough-pass"], env).exit_code == 0
    with runtime.db.transaction() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    assert_one_line_error(invoke(["audit", "verify"], env), "row 2", "deleted")


def test_demo_seed_twice_then_reset(runtime, env):
    first = invoke(["demo", "seed"], env)
    assert first.exit_code == 0, first.output
    assert "Seeded Hearth Demo Practice: 12 clients" in first.stdout
    assert "owner@example.test" in first.stdout and "hearth-demo-password" in first.stdout
    second = invoke(["demo", "seed"], env)
    assert second.exit_code == 0
    assert "already seeded; nothing changed" in second.stdout
    reset = invoke(["demo", "seed", "--reset"], env)
    assert reset.exit_code == 0, reset.output
    assert "Seeded Hearth Demo Practice: 12 clients" in reset.stdout
    actions = [(r.action, r.path) for r in system_audit_rows(runtime)]
    assert actions == [
        ("demo.seed", "hearth demo seed"),
        ("demo.seed", "hearth demo seed --reset"),
    ]
    assert invoke(["audit", "verify"], env).exit_code == 0


def test_demo_seed_is_refused_in_production(runtime, production_env):
    result = invoke(["demo", "seed"], production_env)
    assert_one_line_error(result, "production")
    with runtime.db.transaction() as s:
        assert s.scalars(select(User)).first() is None


def test_demo_seed_in_production_when_told_so(runtime, production_env):
    result = invoke(["demo", "seed", "--i-know-this-is-production"], production_env)
    assert result.exit_code == 0, result.output
    assert "12 clients" in result.stdout


@pytest.mark.parametrize("command", [["run"], ["serve"], ["worker"], ["users", "list"]])
def test_production_refuses_a_default_secret(production_env, no_server, command):
    bad = {**production_env, "HEARTH_SECRET_KEY": "change-me"}
    result = invoke(command, bad)
    assert_one_line_error(result, "refusing to start in production", "HEARTH_SECRET_KEY")
    assert no_server == []


@pytest.mark.parametrize("command", [["run"], ["serve"]])
def test_production_refuses_a_master_key_inside_the_data_dir(
    production_env, settings, no_server, command
):
    bad = {**production_env, "HEARTH_MASTER_KEY_FILE": str(settings.data_dir / "master.key")}
    result = invoke(command, bad)
    assert_one_line_error(result, "inside the data directory")
    assert no_server == []


def test_commands_ask_for_a_migration_on_an_empty_database(tmp_path, env):
    fresh = {**env, "HEARTH_DATA_DIR": str(tmp_path / "fresh")}
    fresh.pop("HEARTH_DATABASE_URL", None)
    assert_one_line_error(invoke(["users", "list"], fresh), "hearth db upgrade")
    upgraded = invoke(["db", "upgrade"], fresh)
    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in upgraded.stdout
    listed = invoke(["users", "list"], fresh)
    assert listed.exit_code == 0, listed.output
    assert "0 staff users" in listed.stdout


@pytest.fixture
def unbind_jobs(settings):
    """create_app binds the job queue to the CLI's runtime; put it back afterwards."""
    from hearth import jobs

    yield
    jobs.bind_runtime(None)
    jobs.configure(settings)


def test_run_migrates_seeds_an_empty_database_prints_logins_and_serves(
    tmp_path, env, no_server, unbind_jobs
):
    pytest.importorskip("hearth.app")
    fresh = {**env, "HEARTH_DATA_DIR": str(tmp_path / "fresh"), "HEARTH_IMMEDIATE_JOBS": "false"}
    fresh.pop("HEARTH_DATABASE_URL", None)
    result = invoke(["run", "--seed-if-empty", "--host", "127.0.0.1", "--port", "8123"], fresh)
    assert result.exit_code == 0, result.output
    assert "owner@example.test" in result.stdout and "hearth-demo-password" in result.stdout
    assert len(no_server) == 1
    assert no_server[0]["host"] == "127.0.0.1" and no_server[0]["port"] == 8123
    # a second start finds the practice and does not seed again, but still shows the logins
    again = invoke(["run", "--seed-if-empty"], fresh)
    assert again.exit_code == 0, again.output
    assert "owner@example.test" in again.stdout
    assert no_server[1]["port"] == 8000


def test_worker_runs_the_job_consumer_with_the_asked_threads(env, monkeypatch):
    from hearth import jobs

    calls = []
    monkeypatch.setattr(jobs, "run_worker", lambda rt, **kw: calls.append(kw))
    result = invoke(["worker", "--workers", "3", "--no-periodic"], env)
    assert result.exit_code == 0, result.output
    assert calls == [{"workers": 3, "periodic": False}]
