"""The development outbox: every outgoing message, newest first (/dev/outbox).

Shown only when ``settings.outbox_enabled`` (on outside production by default), to
staff whose roles grant ``Perm.OUTBOX_READ``; with no mail server configured it is
where sign-in links and reminders are "delivered", so a demo works offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from hearth.errors import NotFound
from hearth.messaging.models import OutboundMessage
from hearth.messaging.service import recent_messages
from hearth.security.permissions import Perm, require
from hearth.web.deps import CurrentUser, Db, Rt, audit
from hearth.web.templating import render

_URL = re.compile(r"https?://[^\s<>\"']+")
SHOWN = 200


def outbox_enabled(rt: Rt) -> None:
    """The outbox exists only where settings enable it (404 otherwise, before sign-in)."""
    if not rt.settings.outbox_enabled:
        raise NotFound("There is nothing at this address.")


router = APIRouter(include_in_schema=False, dependencies=[Depends(outbox_enabled)])


def linkify(text: str) -> Markup:
    """Escape text and make its http(s) addresses clickable."""
    parts: list[Markup] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup('<a href="{0}" rel="noreferrer">{0}</a>').format(url))
        last = match.start() + len(url)
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


@dataclass(frozen=True)
class OutboxRow:
    """One message as the outbox page shows it."""

    message: OutboundMessage
    body_html: Markup


@router.get("/dev/outbox", response_class=HTMLResponse)
def outbox(request: Request, db: Db, principal: CurrentUser) -> Response:
    """Every outgoing message, newest first, with its delivery status."""
    require(principal, Perm.OUTBOX_READ)
    messages = recent_messages(db, limit=SHOWN)
    audit(
        request,
        "outbox.view",
        record_type="outbound_message",
        record_ids=[m.id for m in messages],
    )
    rows = [OutboxRow(m, linkify(m.body)) for m in messages]
    return render(request, "outbox/list.html", {"rows": rows, "shown": SHOWN})
