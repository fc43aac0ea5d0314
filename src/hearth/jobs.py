"""The task queue: Huey, with SQLite storage by default and Redis across machines.

Design: Huey binds a task to a Huey instance when the task is decorated, at import
time, but storage depends on settings that differ per process and per test. So
there is exactly one module-level instance, ``huey`` (a ``HearthHuey``), to which
every slice's ``tasks.py`` binds its tasks with ``@huey.task(...)``; its storage is
chosen later by ``configure(settings)``:

- ``settings.immediate_jobs``: immediate mode, tasks run in the enqueuing thread
  (tests);
- ``settings.redis_url``: Redis storage, queue named ``settings.queue_name``;
- otherwise SQLite storage in ``<data_dir>/jobs.db``.

``bind_runtime(runtime)`` configures the queue from the runtime's settings and
makes that runtime the one tasks use; ``create_app`` calls it for the web process,
``start_consumer``/``run_worker`` for consumers. If nothing was bound, the queue
configures itself from ``get_settings()`` on first use and tasks open one Runtime
per process from the same settings (a ``hearth worker`` process).

Jobs are queued after the request's transaction commits (``enqueue_after_commit``),
take ids, reload their rows and return early when the work is already done.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

from huey import Huey
from huey.consumer import Consumer
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from hearth.errors import Unavailable
from hearth.runtime import Runtime
from hearth.security.models import JobRecord
from hearth.settings import Settings, get_settings

log = logging.getLogger(__name__)

_PENDING_KEY = "hearth.jobs.pending"
T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R", covariant=True)


@dataclass(frozen=True)
class QueueConfig:
    """Where the queue lives, derived from settings."""

    name: str
    immediate: bool
    redis_url: str | None
    sqlite_file: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueConfig:
        """The queue configuration the settings ask for."""
        if settings.immediate_jobs:
            return cls(settings.queue_name, True, None, None)
        if settings.redis_url:
            return cls(settings.queue_name, False, settings.redis_url, None)
        return cls(settings.queue_name, False, None, str(settings.data_dir / "jobs.db"))

    def describe(self) -> str:
        """A short, secret-free description for logs and errors."""
        if self.immediate:
            return "immediate (in-process)"
        if self.redis_url:
            return f"Redis queue {self.name!r}"
        return f"SQLite queue {self.name!r} in {self.sqlite_file}"


class HearthHuey(Huey):  # type: ignore[misc]
    """A Huey whose storage is chosen by ``configure(settings)`` instead of at creation."""

    storage: Any

    def __init__(self) -> None:
        super().__init__("hearth", results=False, storage_class=MemoryStorage, utc=True)
        self.config: QueueConfig | None = None
        self._config_lock = threading.RLock()

    def configure(self, settings: Settings) -> None:
        """Point the queue at the storage the settings ask for (no-op when unchanged)."""
        config = QueueConfig.from_settings(settings)
        with self._config_lock:
            if config == self.config:
                return
            old: Any = self.storage
            self.name = config.name
            self._immediate = config.immediate
            if config.immediate:
                self.storage = MemoryStorage(config.name)
            elif config.redis_url:
                self.storage = RedisStorage(config.name, url=config.redis_url)
            else:
                assert config.sqlite_file is not None
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                self.storage = SqliteStorage(config.name, filename=config.sqlite_file)
            self.config = config
            try:
                old.close()
            except Exception:  # closing a stale connection must not block reconfiguring
                log.debug("closing the previous queue storage failed", exc_info=True)

    def ensure_configured(self) -> QueueConfig:
        """The current configuration, reading ``get_settings()`` if none was set."""
        if self.config is None:
            self.configure(get_settings())
        assert self.config is not None
        return self.config

    def enqueue(self, task: Any) -> Any:
        """Queue a task (or run it now in immediate mode)."""
        self.ensure_configured()
        return super().enqueue(task)


huey = HearthHuey()


class Task(Protocol[P, R]):
    """A queued task: calling it enqueues the call; ``call_local`` runs it here and now."""

    name: str | None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any: ...

    def call_local(self, *args: P.args, **kwargs: P.kwargs) -> R: ...


def task(
    *,
    retries: int = 0,
    retry_delay: float = 0,
    retry_backoff: float = 0,
    name: str | None = None,
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """Declare a queued task on the Hearth queue (typed wrapper of ``huey.task``)."""

    def decorate(fn: Callable[P, R]) -> Task[P, R]:
        wrapper: Task[P, R] = huey.task(
            retries=retries, retry_delay=retry_delay, retry_backoff=retry_backoff, name=name
        )(fn)
        return wrapper

    return decorate


def periodic_task(
    schedule: Callable[[Any], bool], *, name: str | None = None
) -> Callable[[Callable[[], R]], Task[[], R]]:
    """Declare a periodic task (``schedule`` is e.g. ``huey.crontab(minute="*/5")``)."""

    def decorate(fn: Callable[[], R]) -> Task[[], R]:
        wrapper: Task[[], R] = huey.periodic_task(schedule, name=name)(fn)
        return wrapper

    return decorate


# --- the runtime tasks use ------------------------------------------------------------

_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def bind_runtime(runtime: Runtime | None) -> None:
    """Make ``runtime`` the one tasks use in this process and configure the queue from it."""
    global _runtime
    with _runtime_lock:
        _runtime = runtime
    if runtime is not None:
        huey.configure(runtime.settings)


def configure(settings: Settings) -> None:
    """Point the queue at the storage the settings ask for."""
    huey.configure(settings)


def current_runtime() -> Runtime:
    """The runtime tasks use: the bound one, or one opened once from ``get_settings()``."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            if huey.immediate:
                raise RuntimeError(
                    "jobs run in immediate mode but no runtime is bound: "
                    "call hearth.jobs.bind_runtime(runtime) first"
                )
            _runtime = Runtime.open(get_settings())
        return _runtime


@contextmanager
def job_transaction() -> Iterator[Session]:
    """A session for a task: commits when the block ends, rolls back on error."""
    with current_runtime().db.transaction() as session:
        yield session


# --- enqueue after commit ---------------------------------------------------------------


def enqueue_after_commit(session: Session, task: Task[..., Any], *args: Any) -> None:
    """Queue ``task(*args)`` once ``session`` commits; a rollback drops it. Pass ids only."""
    for arg in args:
        if not isinstance(arg, str | int | float | bool | type(None)):
            raise TypeError(f"jobs take ids and plain values, not {type(arg).__name__}")
    if not session.in_transaction():
        session.begin()  # so that a rollback before any SQL still drops the job
    pending: list[tuple[Task[..., Any], tuple[Any, ...]]] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = []
        session.info[_PENDING_KEY] = pending
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_soft_rollback)
    pending.append((task, args))


def _after_commit(session: Session) -> None:
    pending = session.info.get(_PENDING_KEY) or []
    session.info[_PENDING_KEY] = []
    for task, args in pending:
        try:
            task(*args)
        except Exception:
            # The commit already happened; sweeps (e.g. messaging's) pick the row up later.
            name = getattr(getattr(task, "func", None), "__name__", repr(task))
            log.exception("could not queue job %s after commit", name)


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: drop everything
        session.info[_PENDING_KEY] = []


# --- run-once bookkeeping and batches ---------------------------------------------------


def already_done(session: Session, key: str) -> bool:
    """True when a JobRecord with this key exists."""
    return session.get(JobRecord, key) is not None


def mark_done(session: Session, key: str, task: str, result: str | None = None) -> bool:
    """Record that the job ``key`` ran, in the job's own transaction; False if already recorded.

    Do the job's database work in the same transaction: when two runs race, the
    second one's flush fails on the primary key and its whole transaction rolls
    back, so the work is committed once.
    """
    if already_done(session, key):
        return False
    session.add(JobRecord(id=key, task=task, result=result))
    session.flush()
    return True


def run_each(
    items: Iterable[T], work: Callable[[Session, T], None], *, label: str
) -> tuple[int, int]:
    """Run ``work`` for each item in its own transaction; one failure never stops the batch.

    Returns (succeeded, failed).
    """
    ok = failed = 0
    for item in items:
        try:
            with job_transaction() as session:
                work(session, item)
            ok += 1
        except Exception:
            failed += 1
            log.exception("%s failed for %r", label, item)
    return ok, failed


# --- consumers --------------------------------------------------------------------------


def load_task_modules() -> list[str]:
    """Import every ``hearth.<slice>.tasks`` (and ``hearth.<slice>.<part>.tasks``) module."""
    import hearth

    loaded = []
    for info in pkgutil.iter_modules(hearth.__path__):
        if not info.ispkg:
            continue
        package = importlib.import_module(f"hearth.{info.name}")
        parts = [f"hearth.{info.name}"] + [
            f"hearth.{info.name}.{sub.name}"
            for sub in pkgutil.iter_modules(package.__path__)
            if sub.ispkg
        ]
        for part in parts:
            name = f"{part}.tasks"
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
                loaded.append(name)
    return loaded


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer inside another program (the web server): it installs no signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None


@dataclass
class RunningConsumer:
    """Consumer threads started inside the web process; ``stop()`` ends them."""

    consumer: Consumer

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the threads to finish their current task, waiting up to ``timeout`` seconds."""
        self.consumer.shutdown_timeout = timeout
        self.consumer.stop(graceful=True)


def _prepare_consumer(runtime: Runtime) -> None:
    if runtime.settings.immediate_jobs:
        raise RuntimeError("immediate_jobs is set: tasks run in-process, no consumer is needed")
    bind_runtime(runtime)
    load_task_modules()


def start_consumer(runtime: Runtime, workers: int | None = None) -> RunningConsumer:
    """Start worker threads in this process (``hearth run``); call ``.stop()`` on shutdown."""
    _prepare_consumer(runtime)
    consumer = _EmbeddedConsumer(
        huey, workers=workers or runtime.settings.job_workers, worker_type="thread"
    )
    consumer.start()
    log.info("job consumer started: %s", huey.ensure_configured().describe())
    return RunningConsumer(consumer)


def run_worker(runtime: Runtime, workers: int = 2, *, periodic: bool = True) -> None:
    """Consume jobs until SIGINT/SIGTERM (``hearth worker``); blocks. Main thread only."""
    _prepare_consumer(runtime)
    consumer = Consumer(huey, workers=workers, worker_type="thread", periodic=periodic)
    log.info("job worker starting: %s", huey.ensure_configured().describe())
    consumer.run()


def check_queue(settings: Settings) -> None:
    """Raise Unavailable when the queue storage cannot be reached (used by /readyz)."""
    config = QueueConfig.from_settings(settings)
    try:
        if config.redis_url:
            import redis

            client = redis.Redis.from_url(
                config.redis_url, socket_connect_timeout=2, socket_timeout=2
            )
            try:
                client.ping()
            finally:
                client.close()
        elif config.sqlite_file:
            con = sqlite3.connect(config.sqlite_file, timeout=2)
            try:
                con.execute("SELECT 1").fetchone()
            finally:
                con.close()
    except Exception as e:
        raise Unavailable(f"the job queue is unavailable ({config.describe()}): {e}") from e


# --- diagnostics ------------------------------------------------------------------------


@task()
def ping(job_id: str) -> None:
    """Record a JobRecord with ``job_id`` (diagnostic; safe to run twice)."""
    with job_transaction() as session:
        mark_done(session, job_id, "ping", "pong")
