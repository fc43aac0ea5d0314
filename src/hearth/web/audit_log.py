"""The audit log page: the owner browses and filters every row; other staff see their own."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from hearth.errors import Invalid
from hearth.practice.profile import practice_time_zone
from hearth.security.audit import verify_audit
from hearth.security.audit_query import OUTCOMES, AuditFilter, search_audit
from hearth.security.permissions import Perm, Scope, can_read_audit, require
from hearth.security.users import staff_names
from hearth.web.deps import CurrentUser, Db, Rt, audit
from hearth.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def parse_day(value: str, where: str) -> dt.date | None:
    """A YYYY-MM-DD form value, or None when blank."""
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as e:
        raise Invalid(f"{where} must be a date (YYYY-MM-DD)", where=where) from e


def day_bounds(
    db: Session, since: str, until: str
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """From the start of `since` to the end of `until`, in the practice's time zone."""
    tz = practice_time_zone(db)
    start_day, end_day = parse_day(since, "since"), parse_day(until, "until")
    if start_day and end_day and end_day < start_day:
        raise Invalid("the end date is before the start date", where="until")
    start = dt.datetime.combine(start_day, dt.time.min, tzinfo=tz) if start_day else None
    end = (
        dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        if end_day
        else None
    )
    return start, end


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: Db,
    principal: CurrentUser,
    actor: Annotated[str, Query(max_length=32)] = "",
    action: Annotated[str, Query(max_length=100)] = "",
    outcome: Annotated[str, Query(max_length=16)] = "",
    record_id: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> HTMLResponse:
    """Filter the audit log by actor, action, outcome, record id and date range."""
    owner_view = can_read_audit(principal) is Scope.ALL
    filters = {
        "actor": actor if owner_view else "",
        "action": action,
        "outcome": outcome if outcome in OUTCOMES else "",
        "record_id": record_id,
        "since": since,
        "until": until,
    }
    ctx: dict[str, Any] = {
        "filters": filters,
        "owner_view": owner_view,
        "outcomes": OUTCOMES,
        "tz": practice_time_zone(db),
    }
    names = staff_names(db) if owner_view else {principal.id: principal.name}
    ctx["names"] = names
    try:
        start, end = day_bounds(db, since, until)
    except Invalid as e:
        ctx.update(error=e.message, where=e.where, result=None)
        return render(request, "audit/list.html", ctx, status_code=422)
    f = AuditFilter(
        actor_id=filters["actor"] or None,
        action=action or None,
        outcome=filters["outcome"] or None,
        record_id=record_id or None,
        since=start,
        until=end,
    )
    result = search_audit(db, principal, f, page=page, page_size=PAGE_SIZE)
    query = {k: v for k, v in filters.items() if v}
    ctx.update(
        result=result,
        prev_url=f"/audit?{urlencode(query | {'page': page - 1})}" if page > 1 else None,
        next_url=(
            f"/audit?{urlencode(query | {'page': page + 1})}" if page < result.pages else None
        ),
    )
    audit(request, "audit.list", detail=urlencode(query) or None)
    return render(request, "audit/list.html", ctx)


@router.get("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, db: Db, rt: Rt, principal: CurrentUser) -> HTMLResponse:
    """Check the whole hash chain and its signed checkpoint (owner)."""
    require(principal, Perm.AUDIT_READ_ALL)
    report = verify_audit(db, rt.audit_key)
    audit(request, "audit.verify", outcome="ok", detail="intact" if report.ok else report.reason)
    template = "audit/_verify.html" if is_htmx(request) else "audit/verify.html"
    return render(request, template, {"report": report})
