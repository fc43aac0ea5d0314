"""create_app(): the FastAPI application with its middleware, error pages and routers."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from hearth import __version__
from hearth.runtime import Runtime
from hearth.web.audit import AuditMiddleware
from hearth.web.deps import csrf_protect
from hearth.web.errors import install_error_handlers
from hearth.web.headers import SecurityHeadersMiddleware
from hearth.web.templating import STATIC_DIR

log = logging.getLogger("hearth.app")

# Routers written alongside this module; each is optional so the app starts without them.
OPTIONAL_ROUTERS = ("hearth.web.portal", "hearth.web.outbox")


def _optional_router(module: str) -> APIRouter | None:
    try:
        router = importlib.import_module(module).router
    except ImportError as e:
        log.info("%s not available (%s); its pages are off", module, e)
        return None
    return router if isinstance(router, APIRouter) else None


def create_app(runtime: Runtime, *, run_jobs: bool = False) -> FastAPI:
    """Build the web application for an open Runtime (jobs consumed in-process if run_jobs)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        consumer = None
        if run_jobs:  # imported here: the jobs module is optional for a web-only process
            consumer = importlib.import_module("hearth.jobs").start_consumer(runtime)
        try:
            yield
        finally:
            if consumer is not None:
                consumer.stop()

    app = FastAPI(
        title="Hearth",
        version=__version__,
        summary="A self-hostable practice assistant for psychotherapists.",
        description=(
            "JSON API of Hearth. Sign in on /login; the API uses the same session cookie and "
            "needs the X-CSRF-Token header (from GET /api/v1/me) on every POST and PATCH."
        ),
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(csrf_protect)],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    from hearth import jobs

    jobs.bind_runtime(runtime)  # jobs queued by requests go to this runtime's queue and database
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app)

    from hearth.documentation import api as documentation_api
    from hearth.practice import api as practice_api
    from hearth.security import api as security_api
    from hearth.web import (
        audit_log,
        auth,
        clients,
        clinical_records,
        dashboard,
        documentation,
        notes,
        settings_pages,
        system,
    )

    for router in (
        system.router,
        auth.router,
        dashboard.router,
        clients.router,
        settings_pages.router,
        audit_log.router,
        practice_api.router,
        security_api.router,
        documentation.router,
        notes.router,
        clinical_records.router,
        documentation_api.router,
    ):
        app.include_router(router)
    from hearth.documentation.capture import api as capture_api
    from hearth.documentation.capture import pages as capture_pages
    from hearth.documentation.capture import ws as capture_ws

    app.include_router(capture_pages.router)
    app.include_router(capture_api.router)
    capture_ws.install(app)
    for module in OPTIONAL_ROUTERS:
        optional = _optional_router(module)
        if optional is not None:
            app.include_router(optional)

    # The last added is the outermost: security headers wrap everything (the audit
    # middleware's own 500 page included); the audit row is written once the request is over.
    app.add_middleware(AuditMiddleware, runtime=runtime)
    app.add_middleware(SecurityHeadersMiddleware, base_url=runtime.settings.base_url)
    return app
