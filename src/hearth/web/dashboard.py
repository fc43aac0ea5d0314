"""The dashboard: today's appointments, notes awaiting review, alerts."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hearth.db import utcnow
from hearth.practice.agenda import AgendaRepository
from hearth.practice.profile import practice_time_zone
from hearth.web.deps import CurrentUser, Db, audit
from hearth.web.documentation import dashboard_audit, dashboard_context
from hearth.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, db: Db, principal: CurrentUser) -> HTMLResponse:
    """Today's schedule for the signed-in user, in the practice's time zone."""
    tz = practice_time_zone(db)
    today = utcnow().astimezone(tz).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    items = AgendaRepository(db, principal).between(
        start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    )
    if items:
        audit(
            request,
            "appointment.list",
            record_type="appointment",
            record_ids=[i.appointment.id for i in items],
        )
    notes = dashboard_context(db, principal)
    dashboard_audit(request, notes)
    return render(request, "dashboard.html", {"items": items, "tz": tz, "today": today, **notes})
