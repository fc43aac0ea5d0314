"""The `hearth` command: run the practice, manage users, seed the demo, verify the audit log.

Every command reads its settings from the environment (HEARTH_*). Expected
failures (a refused configuration, a bad e-mail, a broken audit chain) print
one line to stderr and exit non-zero; they never show a traceback. Commands
that write are audited as actor kind ``system`` with the operating-system user
in the detail.
"""

from __future__ import annotations

import functools
import getpass
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import make_url, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from hearth import __version__
from hearth.documentation.audio.cli import register as register_audio
from hearth.documentation.cli import register as register_documentation
from hearth.errors import HearthError, NotFound
from hearth.runtime import Runtime
from hearth.security import crypto
from hearth.security.audit import AuditEntry
from hearth.security.permissions import Principal
from hearth.settings import Settings, UnsafeConfiguration

P = ParamSpec("P")
R = TypeVar("R")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

app = typer.Typer(
    name="hearth",
    help="Hearth: a self-hostable practice assistant for psychotherapists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The synthetic demo practice.", no_args_is_help=True)
users_app = typer.Typer(help="Staff users: create, list, disable and enable.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


# --- plumbing -----------------------------------------------------------------------


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into one line on stderr and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (HearthError, UnsafeConfiguration, crypto.KeyError_) as e:
            _fail(str(e))
        except (OperationalError, ProgrammingError) as e:
            _fail(f"the database could not be used: {_first_line(e.orig or e)}")

    return wrapper


def _fail(message: str) -> NoReturn:
    err.print(f"error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(1)


def say(message: str) -> None:
    """Print one plain line to stdout (no markup, no wrapping)."""
    out.print(message, markup=False, soft_wrap=True)


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}"


def operator() -> Principal:
    """Whoever runs `hearth` on the server: they hold the keys, so they act as an owner."""
    return Principal(
        kind="user", id="system", roles=frozenset({"owner"}), name=f"hearth CLI ({_os_user()})"
    )


def _settings() -> Settings:
    return Settings().prepare()


def _check_schema(settings: Settings) -> None:
    """Refuse to work on a database whose schema is not at the latest migration."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from hearth.db import Database
    from hearth.migrate import alembic_config

    db = Database(settings.effective_database_url)
    try:
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        db.dispose()
    head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
    if current != head:
        where = make_url(db.url).render_as_string(hide_password=True)
        state = "is empty" if current is None else f"is at revision {current}, not {head}"
        raise UnsafeConfiguration(f"the database {where} {state}: run `hearth db upgrade` first")


@contextmanager
def open_runtime(*, migrate: bool = False) -> Iterator[Runtime]:
    """Settings from the environment, checked; the database migrated or checked; keys open."""
    settings = _settings()
    if not migrate:
        _check_schema(settings)
    rt = Runtime.open(settings, migrate=migrate)
    try:
        yield rt
    finally:
        rt.close()


def audit_cli(
    rt: Runtime,
    action: str,
    command: str,
    *,
    record_type: str | None = None,
    record_ids: list[str] | None = None,
    detail: str | None = None,
) -> None:
    """Write an audit row for a CLI write: actor kind system, OS user in the detail."""
    note = f"os user {_os_user()}" + (f"; {detail}" if detail else "")
    rt.audit(
        AuditEntry(
            action=action,
            actor_kind="system",
            method="CLI",
            path=f"hearth {command}",
            record_type=record_type,
            record_ids=record_ids or [],
            detail=note,
        )
    )


def _print_demo_logins(rt: Runtime) -> None:
    from hearth.demo import demo_info

    with rt.db.transaction() as session:
        info = demo_info(session)
    if info is None or not info.logins:
        return
    table = Table(title=f"{info.practice_name}: demo sign-ins", title_justify="left")
    table.add_column("email")
    table.add_column("name")
    table.add_column("roles")
    for login in info.logins:
        table.add_row(login.email, login.name, ", ".join(login.roles))
    out.print(table)
    say(f"Every demo user's password is {info.password} (demo only).")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hearth {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Hearth: a self-hostable practice assistant for psychotherapists.

    Settings come from HEARTH_* environment variables (see the README).
    """


# --- serving ------------------------------------------------------------------------

HostOpt = Annotated[
    str | None, typer.Option(help="Interface to listen on [default: HEARTH_HOST, 127.0.0.1].")
]
PortOpt = Annotated[
    int | None, typer.Option(help="Port to listen on [default: HEARTH_PORT, 8000].")
]


def _serve(rt: Runtime, host: str | None, port: int | None, *, run_jobs: bool) -> None:
    import uvicorn

    from hearth.app import create_app

    web = create_app(rt, run_jobs=run_jobs)
    host = host or rt.settings.host
    port = port or rt.settings.port
    say(f"Hearth {__version__} on http://{host}:{port} (Ctrl+C stops it)")
    uvicorn.run(web, host=host, port=port)


@app.command()
@friendly_errors
def run(
    host: HostOpt = None,
    port: PortOpt = None,
    seed_if_empty: Annotated[
        bool, typer.Option(help="Seed the demo practice when the database has no practice.")
    ] = False,
) -> None:
    """Upgrade the database and serve the web app with the job consumer in one process."""
    from hearth.demo import has_practice, seed

    with open_runtime(migrate=True) as rt:
        if seed_if_empty:
            with rt.db.transaction() as session:
                empty = not has_practice(session)
            if empty:
                info = seed(rt)
                audit_cli(rt, "demo.seed", "run --seed-if-empty", detail=_steps(info.steps_run))
        _print_demo_logins(rt)
        _serve(rt, host, port, run_jobs=True)


@app.command()
@friendly_errors
def serve(host: HostOpt = None, port: PortOpt = None) -> None:
    """Serve the web app only (run `hearth worker` processes for the jobs)."""
    with open_runtime() as rt:
        _serve(rt, host, port, run_jobs=False)


@app.command()
@friendly_errors
def worker(
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker threads [default: HEARTH_JOB_WORKERS, 2]."),
    ] = None,
    periodic: Annotated[
        bool, typer.Option(help="Also run periodic tasks (keep on in exactly one worker).")
    ] = True,
) -> None:
    """Consume jobs only, until interrupted (several workers may share one Redis queue)."""
    from hearth.jobs import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with open_runtime() as rt:
        run_worker(rt, workers=workers or rt.settings.job_workers, periodic=periodic)


# --- database -------------------------------------------------------------------------


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply every pending migration to the configured database."""
    with open_runtime(migrate=True) as rt:
        where = make_url(rt.db.url).render_as_string(hide_password=True)
        audit_cli(rt, "db.upgrade", "db upgrade")
        say(f"database {where} is up to date")


# --- demo -----------------------------------------------------------------------------


def _steps(steps: tuple[str, ...]) -> str:
    return "steps: " + (", ".join(steps) if steps else "none")


@demo_app.command("seed")
@friendly_errors
def demo_seed(
    reset: Annotated[bool, typer.Option(help="Wipe the demo data and seed it again.")] = False,
    i_know_this_is_production: Annotated[
        bool,
        typer.Option(
            "--i-know-this-is-production",
            help="Seed even with HEARTH_ENV=production (demo users share a published password).",
        ),
    ] = False,
) -> None:
    """Seed the synthetic demo practice (running it twice changes nothing)."""
    from hearth.demo import seed

    with open_runtime() as rt:
        info = seed(rt, reset=reset, allow_production=i_know_this_is_production)
        if info.changed or reset:
            command = "demo seed --reset" if reset else "demo seed"
            audit_cli(rt, "demo.seed", command, detail=_steps(info.steps_run))
            say(f"Seeded {info.practice_name}: {info.clients} clients ({_steps(info.steps_run)}).")
        else:
            say(f"{info.practice_name} is already seeded; nothing changed.")
        _print_demo_logins(rt)


# --- users ----------------------------------------------------------------------------


@users_app.command("create")
@friendly_errors
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in e-mail address.")],
    name: Annotated[str, typer.Option(help="Full name as staff see it.")],
    role: Annotated[
        list[str],
        typer.Option(
            help="A role: owner, clinician, supervisor, biller, front_desk or admin (repeatable)."
        ),
    ],
    password: Annotated[
        str | None,
        typer.Option(help="At least 12 characters; asked for (hidden) when left out."),
    ] = None,
) -> None:
    """Create a staff user; clinicians and supervisors also get a clinician profile."""
    from hearth.security.users import create_staff_user

    with open_runtime() as rt:
        if password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        with rt.db.transaction() as session:
            member = create_staff_user(
                session, operator(), email=email, name=name, password=password, roles=role
            )
            user_id, user_email = member.user.id, member.user.email
            roles = ", ".join(member.user.roles)
        audit_cli(rt, "user.create", "users create", record_type="user", record_ids=[user_id])
        say(f"created {user_email} ({roles})")


@users_app.command("list")
@friendly_errors
def users_list() -> None:
    """List staff users with their roles and whether they may sign in."""
    from hearth.security.models import User

    with open_runtime() as rt, rt.db.transaction() as session:
        users = list(session.scalars(select(User).order_by(User.email)))
        table = Table(title=f"{len(users)} staff users", title_justify="left")
        for column in ("email", "name", "roles", "active"):
            table.add_column(column)
        for u in users:
            table.add_row(u.email, u.name, ", ".join(u.roles), "yes" if u.active else "no")
        out.print(table)


def _set_active(email: str, active: bool) -> None:
    from hearth.security.models import User
    from hearth.security.service import normalise_email
    from hearth.security.users import set_staff_active

    with open_runtime() as rt:
        with rt.db.transaction() as session:
            user = session.scalars(select(User).where(User.email == normalise_email(email))).first()
            if user is None:
                raise NotFound(f"no user with e-mail {email}")
            set_staff_active(session, operator(), user.id, active)
            user_id = user.id
        verb = "enable" if active else "disable"
        audit_cli(rt, f"user.{verb}", f"users {verb}", record_type="user", record_ids=[user_id])
        say(f"{normalise_email(email)} {verb}d")


@users_app.command("disable")
@friendly_errors
def users_disable(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
) -> None:
    """Stop a user signing in and end their open sessions."""
    _set_active(email, False)


@users_app.command("enable")
@friendly_errors
def users_enable(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
) -> None:
    """Let a disabled user sign in again."""
    _set_active(email, True)


# --- audit ----------------------------------------------------------------------------


@audit_app.command("verify")
@friendly_errors
def audit_verify() -> None:
    """Check every audit row's hash link and the signed checkpoint; exit 1 at the first bad row."""
    from hearth.security.audit import verify_audit

    with open_runtime() as rt, rt.db.transaction() as session:
        report = verify_audit(session, rt.audit_key)
    if not report.ok:
        _fail(f"audit chain broken at row {report.first_bad_seq}: {report.reason}")
    say(f"audit chain intact: {report.rows} rows")


# --- scripting commands (no database; shapes in docs/cli.md) -------------------------------

register_documentation(app)
register_audio(app)


def main() -> None:
    """Entry point of the `hearth` console script."""
    app()
