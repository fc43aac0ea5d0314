"""Portal magic links end to end, and the development outbox page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from hearth.db import utcnow
from hearth.messaging.models import OutboundMessage
from hearth.messaging.portal_links import LINKS_PER_WINDOW, issue_purpose_link
from hearth.practice import service as practice
from hearth.security import service as auth
from hearth.security.models import MagicLink, User
from hearth.web.deps import CurrentClient
from hearth.web.portal import SENT_MESSAGE
from tests.messaging.smtp import running_smtp_server
from tests.web.support import audit_rows, csrf_from

LINK = re.compile(r"https?://[^\s/]+(/portal/auth/[A-Za-z0-9_-]+)")


@pytest.fixture
def portal(app):
    with TestClient(app, follow_redirects=False) as client:
        yield client


def request_link(client: TestClient, email: str):
    page = client.get("/portal/sign-in")
    assert page.status_code == 200
    return client.post("/portal/sign-in", data={"email": email, "csrf_token": csrf_from(page.text)})


def outbox(runtime) -> list[OutboundMessage]:
    with runtime.db.transaction() as s:
        return list(s.query(OutboundMessage).order_by(OutboundMessage.created_at))


def last_link(runtime) -> str:
    messages = outbox(runtime)
    assert messages, "no message was queued"
    match = LINK.search(messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)


def add_guardian(runtime, fake, email: str, client: str = "maria"):
    with runtime.db.transaction() as s:
        owner = auth.staff_principal(s, s.get(User, fake.users["owner"]))
        return practice.add_guardian(
            s,
            owner,
            fake.clients[client],
            {"name": "Gail Testguardian", "relationship_to_client": "parent", "email": email},
        ).id


def test_sign_in_flow_end_to_end(runtime, fake, portal):
    answer = request_link(portal, "  Maria@Example.test ")
    assert answer.status_code == 200
    assert SENT_MESSAGE in answer.text

    [message] = outbox(runtime)
    assert (message.channel, message.category, message.recipient) == (
        "email",
        "security",
        "maria@example.test",
    )
    assert message.status == "sent" and message.provider_id == "dev-outbox"
    assert f"{runtime.settings.base_url}/portal/auth/" in message.body

    opened = portal.get(last_link(runtime))
    assert opened.status_code == 303 and opened.headers["location"] == "/portal"
    cookie = opened.headers["set-cookie"]
    assert "hearth_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()

    home = portal.get("/portal")
    assert home.status_code == 200
    assert "Signed in as <strong>Maria Testperson</strong>" in home.text

    [requested] = audit_rows(runtime, action="portal.link_request")
    assert requested.record_ids == [fake.clients["maria"]] and requested.outcome == "ok"
    [signed_in] = audit_rows(runtime, action="portal.sign_in")
    assert (signed_in.actor_kind, signed_in.actor_id) == ("client", fake.clients["maria"])

    signed_out = portal.post("/logout", data={"csrf_token": csrf_from(home.text)})
    assert signed_out.headers["location"] == "/portal/sign-in"
    assert portal.get("/portal").headers["location"] == "/portal/sign-in"


def test_link_sent_over_smtp_signs_in(runtime, fake, portal):
    with running_smtp_server() as server:
        runtime.settings.smtp_host, runtime.settings.smtp_port = server.host, server.port
        request_link(portal, "marco@example.test")
        [(rcpts, mail)] = server.received.wait_for(1)
    assert rcpts == ["marco@example.test"]
    path = LINK.search(mail.get_payload()).group(1)
    assert portal.get(path).headers["location"] == "/portal"
    assert "Marco Fakename" in portal.get("/portal").text


def test_a_link_works_once(runtime, fake, portal):
    request_link(portal, "maria@example.test")
    link = last_link(runtime)
    assert portal.get(link).status_code == 303
    again = portal.get(link)
    assert again.status_code == 403
    assert "This link no longer works" in again.text
    assert 'action="/portal/sign-in"' in again.text  # offers a new link
    refused = audit_rows(runtime, action="portal.link_redeem")
    assert [r.outcome for r in refused] == ["denied"]


def test_an_expired_link_is_refused(runtime, fake, portal):
    request_link(portal, "maria@example.test")
    with runtime.db.transaction() as s:
        s.execute(update(MagicLink).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    refused = portal.get(last_link(runtime))
    assert refused.status_code == 403 and "This link no longer works" in refused.text
    assert portal.get("/portal").headers["location"] == "/portal/sign-in"


def test_an_unknown_address_gets_the_same_answer(runtime, fake, portal):
    known = request_link(portal, "maria@example.test")
    unknown = request_link(portal, "nobody-here@example.test")
    assert (unknown.status_code, unknown.text) == (known.status_code, known.text)
    assert len(outbox(runtime)) == 1
    rows = audit_rows(runtime, action="portal.link_request")
    assert [r.detail for r in rows] == ["sent", "no match"]


def test_a_discharged_client_gets_no_link(runtime, fake, portal):
    with runtime.db.transaction() as s:
        owner = auth.staff_principal(s, s.get(User, fake.users["owner"]))
        practice.update_client(s, owner, fake.clients["olive"], {"status": "discharged"})
    answer = request_link(portal, "olive@example.test")
    assert SENT_MESSAGE in answer.text
    assert outbox(runtime) == []


def test_an_address_change_moves_the_link(runtime, fake, portal):
    with runtime.db.transaction() as s:
        owner = auth.staff_principal(s, s.get(User, fake.users["owner"]))
        practice.update_client(s, owner, fake.clients["maria"], {"email": "maria.new@example.test"})
    request_link(portal, "maria@example.test")
    assert outbox(runtime) == []
    request_link(portal, "maria.new@example.test")
    assert len(outbox(runtime)) == 1


def test_requests_are_rate_limited_per_address(runtime, fake, portal):
    answers = [request_link(portal, "maria@example.test") for _ in range(LINKS_PER_WINDOW + 1)]
    assert len({(a.status_code, a.text) for a in answers}) == 1
    assert len(outbox(runtime)) == LINKS_PER_WINDOW
    last = audit_rows(runtime, action="portal.link_request")[-1]
    assert (last.outcome, last.detail) == ("denied", "rate limited")
    request_link(portal, "marco@example.test")  # another address is not held back
    assert len(outbox(runtime)) == LINKS_PER_WINDOW + 1


def test_a_guardian_signs_in_as_themselves(runtime, fake, portal):
    guardian_id = add_guardian(runtime, fake, "gail.guardian@example.test")
    request_link(portal, "gail.guardian@example.test")
    assert portal.get(last_link(runtime)).status_code == 303
    home = portal.get("/portal")
    assert "Gail Testguardian" in home.text and "(guardian)" in home.text
    [row] = audit_rows(runtime, action="portal.sign_in")
    assert (row.actor_kind, row.actor_id) == ("guardian", guardian_id)


def test_one_address_for_two_people_gets_a_link_for_each(runtime, fake, portal):
    add_guardian(runtime, fake, "marco@example.test", client="maria")
    request_link(portal, "marco@example.test")
    [message] = outbox(runtime)
    assert len(LINK.findall(message.body)) == 2
    assert "Marco Fakename: http" in message.body
    assert "Gail Testguardian, as guardian of Maria: http" in message.body
    assert message.client_id is None  # about two clients: not filed under either


def test_a_purpose_link_opens_one_page_only(app, runtime, fake, portal):
    def questionnaire(number: str, person: CurrentClient) -> dict[str, str]:
        return {"number": number, "person": person.id}

    app.add_api_route("/portal/questionnaires/{number}", questionnaire)
    with runtime.db.transaction() as s:
        url = issue_purpose_link(
            s, runtime.settings, "client", fake.clients["maria"], "/portal/questionnaires/7"
        )
    opened = portal.get(LINK.search(url).group(1))
    assert opened.headers["location"] == "/portal/questionnaires/7"
    page = portal.get("/portal/questionnaires/7")
    assert page.status_code == 200 and page.json()["person"] == fake.clients["maria"]
    assert portal.get("/portal/questionnaires/8").status_code == 403
    assert portal.get("/portal").status_code == 403
    assert portal.get("/clients").status_code in (303, 403)


@pytest.mark.parametrize(
    "path", ["/clients", "/portal/auth/x", "/portal/../clients", "/portal/a?b"]
)
def test_purpose_links_refuse_pages_outside_the_portal(runtime, fake, path):
    from hearth.errors import Invalid

    with runtime.db.transaction() as s, pytest.raises(Invalid) as err:
        issue_purpose_link(s, runtime.settings, "client", fake.clients["maria"], path)
    assert err.value.where == "path"


def test_sign_in_needs_the_form_token(fake, portal, runtime):
    portal.get("/portal/sign-in")
    refused = portal.post("/portal/sign-in", data={"email": "maria@example.test"})
    assert refused.status_code == 403
    assert outbox(runtime) == []


def test_staff_are_sent_away_from_the_portal_home(fake, browser):
    assert browser("front_desk", fake).get("/portal").status_code == 403


# --- the development outbox -------------------------------------------------------------


def test_outbox_lists_messages_newest_first_with_clickable_links(runtime, fake, portal, browser):
    request_link(portal, "maria@example.test")
    request_link(portal, "marco@example.test")
    page = browser("front_desk", fake).get("/dev/outbox")
    assert page.status_code == 200
    assert page.text.index("marco@example.test") < page.text.index("maria@example.test")
    assert "Your sign-in link for" in page.text
    assert re.search(
        r'<a href="http://[^"]+/portal/auth/[A-Za-z0-9_-]+" rel="noreferrer">', page.text
    )
    assert "sent (to this outbox)" in page.text
    [row] = audit_rows(runtime, action="outbox.view")
    assert len(row.record_ids) == 2


def test_outbox_needs_its_permission(fake, browser, portal):
    assert portal.get("/dev/outbox").status_code == 303  # to the sign-in page
    assert browser("biller", fake).get("/dev/outbox").status_code == 403
    assert browser("admin", fake).get("/dev/outbox").status_code == 200


def test_outbox_is_absent_when_disabled(runtime, fake, browser, portal):
    runtime.settings.dev_outbox = False
    assert portal.get("/dev/outbox").status_code == 404
    assert browser("owner", fake).get("/dev/outbox").status_code == 404


def test_signed_out_portal_page_goes_to_the_portal_sign_in(runtime):
    from fastapi.testclient import TestClient

    from hearth.app import create_app

    with TestClient(create_app(runtime)) as client:
        r = client.get("/portal", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/sign-in"
