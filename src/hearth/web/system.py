"""Operational routes: /healthz, /readyz, and the API docs served from vendored assets."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from hearth.web.deps import Rt
from hearth.web.templating import render

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    """The process is up."""

    status: str


class Readiness(BaseModel):
    """Whether the process can serve: each dependency's state."""

    status: str
    checks: dict[str, str]


def _check_database(rt: Any) -> str:
    with rt.db.engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar_one()
    return "ok"


def _check_queue(rt: Any) -> str:
    jobs = importlib.import_module("hearth.jobs")
    jobs.check_queue(rt.settings)
    return "ok"


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (no dependency is checked)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is failing"}},
)
def readyz(rt: Rt) -> JSONResponse:
    """Ready when the database answers a query and the job queue is reachable."""
    checks: dict[str, str] = {}
    for name, check in (("database", _check_database), ("queue", _check_queue)):
        try:
            checks[name] = check(rt)
        except Exception as e:
            checks[name] = f"failing ({type(e).__name__})"
    ok = all(v == "ok" for v in checks.values())
    body = Readiness(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon file; the pages link /static/favicon.svg."""
    return Response(status_code=204)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI from the vendored swagger-ui-dist (works offline)."""
    return render(request, "docs.html", {"openapi_url": request.app.openapi_url})
