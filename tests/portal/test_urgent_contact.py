""""Ask my clinician to contact me urgently", beside the crisis numbers: a confirmation step,
then one urgent alert for the client's clinicians, audited, with a notification to each written
in the same transaction. One request waits at a time. Clients only; the look-alike practice is
never touched."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from practice.measurement.models import Alert
from practice.measurement.services import alert_acknowledge
from practice.notifications.models import Notification
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld
from tests.portal.helpers import page_text, prepare

PAGE = "/portal/urgent-contact/"


def state(world: PracticeWorld) -> dict[str, list]:
    with schema_context(world.practice.schema_name):
        snapshot = {
            "alerts": list(Alert.objects.order_by("pk").values_list(
                "pk", "client_id", "kind", "severity", "status", "summary")),
            "recipients": sorted(Alert.recipients.through.objects.values_list(
                "alert_id", "user_id")),
            "notifications": list(Notification.objects.order_by("pk").values_list(
                "recipient_id", "kind", "idempotency_key", "context")),
            "raised": list(AuditEvent.objects.filter(action="alert.raised").values_list(
                "actor_id", "object_id", "detail")),
        }
    connection.set_schema_to_public()
    return snapshot


def expected_notifications(alert_id: int, people: list[User]) -> list:
    """By email (staff accept alerts by email by default; nobody here has a push device)."""
    return [(person.pk, "alert_raised", f"alert:{alert_id}:{person.pk}:email",
             {"alert_id": alert_id}) for person in people]


def test_the_help_page_offers_it_to_a_signed_in_client_only(alpha) -> None:
    prepare(alpha)
    signed_in = alpha.http(alpha.client).get("/portal/help/").content.decode()
    assert f'<a class="button" href="{PAGE}">Ask my clinician to contact me</a>' in signed_in
    assert 'href="tel:988"' in signed_in
    anonymous = alpha.http().get("/portal/help/").content.decode()
    assert PAGE not in anonymous
    assert 'href="tel:988"' in anonymous


def test_a_client_asks_and_their_clinicians_are_told(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    with schema_context(alpha.practice.schema_name):
        second = User.objects.create_user("second@example.org", PASSWORD,
                                          full_name="Sam Second", role=Role.CLINICIAN)
        alpha.client.client_profile.clinicians.add(second)
    connection.set_schema_to_public()
    beta_before = state(beta)
    http = alpha.http(alpha.client)

    confirm = http.get(PAGE)
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "Yes, ask my clinician to contact me" in body
    assert 'href="tel:988"' in body and 'href="sms:988"' in body and 'href="tel:911"' in body
    assert state(alpha)["alerts"] == []  # opening the page raises nothing

    sent = http.post(PAGE)

    assert (sent.status_code, sent["Location"]) == (302, PAGE)
    after = state(alpha)
    (alert,) = after["alerts"]
    alert_id = alert[0]
    assert alert == (alert_id, alpha.client.pk, "urgent_contact", "urgent", "open",
                     "Asked through the portal to be contacted urgently")
    assert after["recipients"] == [(alert_id, alpha.clinician.pk), (alert_id, second.pk)]
    assert after["notifications"] == expected_notifications(alert_id, [alpha.clinician, second])
    assert after["raised"] == [(alpha.client.pk, str(alert_id),
                                {"kind": "urgent_contact", "client_id": alpha.client.pk,
                                 "recipient_ids": [alpha.clinician.pk, second.pk]})]
    page = http.get(PAGE).content.decode()
    assert "Sent. Your clinician has been asked to contact you urgently." in page
    assert "Your request was sent at" in page
    assert "You don't need to send it again." in page
    assert "Yes, ask my clinician to contact me" not in page
    assert 'href="tel:988"' in page
    assert state(beta) == beta_before


def test_pressing_again_while_a_request_waits_sends_nothing_more(alpha) -> None:
    prepare(alpha)
    http = alpha.http(alpha.client)
    http.post(PAGE)
    first = state(alpha)

    again = http.post(PAGE)

    assert (again.status_code, again["Location"]) == (302, PAGE)
    assert state(alpha) == first
    page = http.get(PAGE).content.decode()
    assert "You already asked at" in page
    assert "we did not send another" in page
    # Once a clinician has picked it up, a new press is a new request.
    with schema_context(alpha.practice.schema_name):
        alert_acknowledge(alert_id=first["alerts"][0][0], actor=Actor.of(alpha.clinician))
    connection.set_schema_to_public()
    assert "Yes, ask my clinician to contact me" in http.get(PAGE).content.decode()
    http.post(PAGE)
    alerts = state(alpha)["alerts"]
    assert [(row[2], row[4]) for row in alerts] == [("urgent_contact", "acknowledged"),
                                                   ("urgent_contact", "open")]


def test_with_no_clinician_assigned_the_owner_is_told(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        alpha.client.client_profile.clinicians.clear()
    connection.set_schema_to_public()
    alpha.http(alpha.client).post(PAGE)
    after = state(alpha)
    (alert,) = after["alerts"]
    assert after["recipients"] == [(alert[0], alpha.owner.pk)]
    assert after["notifications"] == expected_notifications(alert[0], [alpha.owner])


def other_practice_session(alpha: PracticeWorld, beta: PracticeWorld) -> Client:
    beta_session = beta.http(beta.client).cookies[settings.SESSION_COOKIE_NAME].value
    http = alpha.http()
    http.cookies[settings.SESSION_COOKIE_NAME] = beta_session
    return http


def test_only_the_client_asks(alpha, beta) -> None:
    """Anonymous people and another practice's session are asked to sign in; staff of every
    role, on the care team or not, get the same 404 as a missing page; nothing is raised."""
    prepare(alpha)
    prepare(beta)
    with schema_context(alpha.practice.schema_name):
        outsider = User.objects.create_user("outsider@example.org", PASSWORD,
                                            full_name="Otto Outsider", role=Role.CLINICIAN)
    connection.set_schema_to_public()
    actors = {"anonymous": alpha.http(), "client_of_another_practice":
              other_practice_session(alpha, beta), "outsider": alpha.http(outsider)}
    for role in ("front_desk", "billing", "clinician", "owner"):
        actors[role] = alpha.http(getattr(alpha, role))
    before_alpha, before_beta = state(alpha), state(beta)
    for actor, http in actors.items():
        for response in (http.get(PAGE), http.post(PAGE)):
            if actor in ("anonymous", "client_of_another_practice"):
                assert response.status_code == 302, actor
                assert response["Location"].startswith("/accounts/sign-in/"), actor
            else:
                assert response.status_code == 404, actor
                assert "Chris Client" not in page_text(response)
    assert state(alpha) == before_alpha
    assert state(beta) == before_beta


def test_it_is_not_under_the_help_prefix_that_skips_the_second_step() -> None:
    """/portal/help/ stays open before the second sign-in step; raising an alert must not."""
    assert not PAGE.startswith("/portal/help/")
