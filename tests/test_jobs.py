"""The task queue: after-commit enqueueing, idempotent tasks, consumers and a Redis worker."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hearth import jobs
from hearth.app import create_app
from hearth.errors import Unavailable
from hearth.messaging.models import OutboundMessage
from hearth.runtime import Runtime
from hearth.security.models import JobRecord
from tests.conftest import need_service, redis_url
from tests.factories import make_client, make_user, principal


@pytest.fixture
def bound(runtime: Runtime) -> Iterator[Runtime]:
    """The test's runtime, bound as the one jobs use."""
    jobs.bind_runtime(runtime)
    yield runtime
    jobs.bind_runtime(None)


def job_ran(rt: Runtime, job_id: str) -> bool:
    with rt.db.transaction() as s:
        return s.get(JobRecord, job_id) is not None


def wait_until(condition, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def test_job_runs_only_after_commit(bound):
    with bound.db.transaction() as s:
        jobs.enqueue_after_commit(s, jobs.ping, "after-commit")
        s.flush()
        assert not job_ran(bound, "after-commit")
    assert job_ran(bound, "after-commit")


def test_rollback_drops_queued_jobs(bound):
    s = bound.db.sessionmaker()
    try:
        jobs.enqueue_after_commit(s, jobs.ping, "rolled-back")
        s.rollback()
        s.commit()  # a later commit of the same session does not resurrect it
    finally:
        s.close()
    assert not job_ran(bound, "rolled-back")

    with pytest.raises(RuntimeError), bound.db.transaction() as s:
        jobs.enqueue_after_commit(s, jobs.ping, "failed-request")
        raise RuntimeError("the request failed")
    assert not job_ran(bound, "failed-request")


def test_jobs_take_ids_not_objects(bound):
    with bound.db.transaction() as s, pytest.raises(TypeError):
        jobs.enqueue_after_commit(s, jobs.ping, JobRecord(id="x", task="t"))


def test_ping_is_idempotent(bound):
    jobs.ping("twice")
    jobs.ping("twice")
    with bound.db.transaction() as s:
        assert s.query(JobRecord).filter_by(id="twice").count() == 1


def test_one_bad_item_never_stops_a_batch(bound):
    def work(session, item):
        if item == "bad":
            raise ValueError("synthetic failure")
        jobs.mark_done(session, f"batch-{item}", "test")

    ok, failed = jobs.run_each(["a", "bad", "b"], work, label="test batch")
    assert (ok, failed) == (2, 1)
    assert job_ran(bound, "batch-a") and job_ran(bound, "batch-b")


def test_immediate_mode_without_a_bound_runtime_refuses(settings):
    jobs.bind_runtime(None)
    jobs.configure(settings)
    with pytest.raises(RuntimeError, match="bind_runtime"):
        jobs.current_runtime()


def test_sqlite_queue_consumed_by_threads_in_process(runtime, settings):
    settings.immediate_jobs = False
    before = signal.getsignal(signal.SIGTERM)
    jobs.bind_runtime(runtime)
    assert jobs.huey.config.sqlite_file == str(settings.data_dir / "jobs.db")
    jobs.check_queue(settings)
    with runtime.db.transaction() as s:
        jobs.enqueue_after_commit(s, jobs.ping, "threaded")
    assert not job_ran(runtime, "threaded")  # queued, not run: nobody consumes yet
    consumer = jobs.start_consumer(runtime, workers=1)
    try:
        wait_until(lambda: job_ran(runtime, "threaded"), what="the queued ping to run")
    finally:
        consumer.stop()
        jobs.bind_runtime(None)
    assert signal.getsignal(signal.SIGTERM) == before  # the embedded consumer installs none


def test_check_queue_reports_an_unreachable_redis(settings):
    settings.immediate_jobs = False
    settings.redis_url = "redis://127.0.0.1:1/0"
    with pytest.raises(Unavailable, match="job queue"):
        jobs.check_queue(settings)


@pytest.mark.redis
def test_jobs_from_web_process_run_in_separate_worker_over_redis(runtime, settings, tmp_path):
    url = redis_url()
    need_service("Redis", url is not None, "set HEARTH_TEST_REDIS_URL")
    assert url is not None
    settings.redis_url = url
    settings.immediate_jobs = False
    settings.queue_name = f"hearth-test-{uuid.uuid4().hex[:12]}"
    jobs.check_queue(settings)
    with runtime.db.transaction() as s:
        owner = principal(s, make_user(s, "owner"))
        make_client(s, owner, email="redis.person@example.test")
    app = create_app(runtime)  # binds this runtime: the queue is now Redis
    job_id = f"redis-{uuid.uuid4().hex[:8]}"
    try:
        with TestClient(app) as web:  # a request queues a sign-in email ...
            page = web.get("/portal/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            answer = web.post(
                "/portal/sign-in", data={"email": "redis.person@example.test", "csrf_token": token}
            )
            assert answer.status_code == 200
        with runtime.db.transaction() as s:  # ... and so does any enqueue-then-commit
            jobs.enqueue_after_commit(s, jobs.ping, job_id)
        assert jobs.huey.pending_count() == 2
        assert message_statuses(runtime) == ["queued"]  # nobody consumes in this process

        env = {
            **os.environ,
            "HEARTH_ENV": "test",
            "HEARTH_DATA_DIR": str(settings.data_dir),
            "HEARTH_DATABASE_URL": settings.effective_database_url,
            "HEARTH_SECRET_KEY": settings.secret_key.get_secret_value(),
            "HEARTH_REDIS_URL": url,
            "HEARTH_QUEUE_NAME": settings.queue_name,
            "HEARTH_IMMEDIATE_JOBS": "false",
        }
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen(
            worker_command(env), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until(
                lambda: (
                    (job_ran(runtime, job_id) and message_statuses(runtime) == ["sent"])
                    or worker.poll() is not None
                ),
                timeout=60,
                what="the worker process to run the jobs",
            )
            assert job_ran(runtime, job_id), (tmp_path / "worker.log").read_text()
            assert message_statuses(runtime) == ["sent"], (tmp_path / "worker.log").read_text()
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            log.close()
    finally:
        jobs.huey.flush()
        jobs.bind_runtime(None)


def message_statuses(rt: Runtime) -> list[str]:
    with rt.db.transaction() as s:
        return [m.status for m in s.query(OutboundMessage)]


def worker_command(env: dict[str, str]) -> list[str]:
    """`hearth worker` when the command exists, else the same call through python -c."""
    exe = Path(sys.executable).with_name("hearth")
    if exe.exists():
        probe = subprocess.run([str(exe), "worker", "--help"], env=env, capture_output=True)
        if probe.returncode == 0:
            return [str(exe), "worker"]
    return [
        sys.executable,
        "-c",
        "from hearth.jobs import run_worker; from hearth.runtime import Runtime; "
        "from hearth.settings import get_settings; "
        "run_worker(Runtime.open(get_settings()), workers=1)",
    ]
