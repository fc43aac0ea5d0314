"""Jinja2 templates with the context every page needs (principal, CSRF token, navigation).

Any router can render with ``render(request, "name.html", {...})``; templates extend
``base.html`` and fill ``{% block content %}`` (and optionally ``title``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hearth.security.permissions import Perm, Principal, permissions
from hearth.web.deps import csrf_token_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class NavItem:
    """One link of the main navigation."""

    label: str
    href: str
    current: bool


def nav_for(principal: Principal | None, path: str, outbox_enabled: bool) -> list[NavItem]:
    """The main navigation a principal sees (by role)."""
    if principal is None or not principal.is_staff:
        return []
    perms = permissions(principal)
    items: list[tuple[str, str]] = [("Dashboard", "/")]
    if Perm.CLIENT_LIST in perms:
        items.append(("Clients", "/clients"))
    items.append(("Settings", "/settings"))
    items.append(("Audit log", "/audit"))
    if outbox_enabled and Perm.OUTBOX_READ in perms:
        items.append(("Outbox", "/dev/outbox"))

    def current(href: str) -> bool:
        return path == "/" if href == "/" else path == href or path.startswith(href + "/")

    return [NavItem(label, href, current(href)) for label, href in items]


def _context(request: Request) -> dict[str, Any]:
    principal: Principal | None = getattr(request.state, "principal", None)
    runtime = getattr(request.app.state, "runtime", None)
    outbox = bool(runtime and runtime.settings.outbox_enabled)
    return {
        "principal": principal,
        "perms": permissions(principal) if principal else frozenset(),
        "Perm": Perm,
        "csrf_token": csrf_token_for(request),
        "nav": nav_for(principal, request.url.path, outbox),
    }


def _local(value: dt.datetime | None, tz: str | zoneinfo.ZoneInfo | None = None) -> str:
    """A UTC datetime shown in a time zone, as 2025-03-04 14:05."""
    if value is None:
        return ""
    zone = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
    shown = value.astimezone(zone) if zone else value
    return shown.strftime("%Y-%m-%d %H:%M")


def _time(value: dt.datetime | None, tz: zoneinfo.ZoneInfo | None = None) -> str:
    if value is None:
        return ""
    return (value.astimezone(tz) if tz else value).strftime("%H:%M")


def _words(value: str | None) -> str:
    """snake_case vocabulary as words: ai_processing -> ai processing."""
    return (value or "").replace("_", " ")


def _address(value: dict[str, str] | None) -> str:
    """An address dict as one line: street, city, state ZIP."""
    if not value:
        return ""
    street = ", ".join(v for v in (value.get("line1"), value.get("line2")) if v)
    region = " ".join(v for v in (value.get("state"), value.get("postal_code")) if v)
    known = {"line1", "line2", "city", "state", "postal_code"}
    rest = [str(v) for k, v in value.items() if k not in known and v]
    return ", ".join(p for p in (street, value.get("city"), region, *rest) if p)


def _contact(value: dict[str, str] | None) -> str:
    """An emergency contact as one line: name (relationship), phone."""
    if not value:
        return ""
    name = value.get("name") or ""
    if value.get("relationship"):
        name = f"{name} ({value['relationship']})".strip()
    return ", ".join(p for p in (name, value.get("phone")) if p)


templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[_context])
templates.env.filters["local"] = _local
templates.env.filters["clock"] = _time
templates.env.filters["words"] = _words
templates.env.filters["address"] = _address
templates.env.filters["contact"] = _contact


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template with the page context."""
    response: HTMLResponse = templates.TemplateResponse(
        request, name, context or {}, status_code=status_code, headers=headers
    )
    return response


def is_htmx(request: Request) -> bool:
    """True for an htmx request that wants a fragment (not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
