"""Portal access on the client's record, for staff: the state (not invited, invited, expired,
active, revoked) on the clinic's client page and the clients list, with invite, resend (the old
link dies) and revoke (the client's sessions end at once) right there. The look-alike practice
is never touched."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from portal.models import ClientInvitation
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tests.portal.helpers import page_text
from tests.portal.test_invitations import (
    accept,
    events,
    invitation_rows,
    invite,
    link_path,
    session_count,
    user_by_email,
)


def record(world, client: User) -> str:
    response = world.http(world.clinician).get(f"/clinic/clients/{client.pk}/")
    assert response.status_code == 200
    body = page_text(response)
    return body[body.index('<section aria-labelledby="portal-access-heading"'):
                body.index("</section>", body.index("portal-access-heading"))]


def test_the_record_shows_each_state_with_what_staff_can_do(
        alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    invite(alpha, django_capture_on_commit_callbacks)
    nora = user_by_email(alpha, "nora@example.org")
    with schema_context(alpha.practice.schema_name):
        later = User.objects.create_user("later@example.org", None, full_name="Lee Later",
                                         role=Role.CLIENT, is_active=False)
        ClientProfile.objects.create(user=later).clinicians.add(alpha.clinician)
    connection.set_schema_to_public()

    panel = record(alpha, later)
    assert "<strong>Not invited</strong>" in panel
    assert ">Invite to the portal</button>" in panel
    assert "Revoke portal access" not in panel

    panel = record(alpha, nora)
    assert "<strong>Invited, not yet accepted</strong>" in panel
    assert ">Resend invitation</button>" in panel
    assert ">Revoke portal access</button>" in panel
    assert f'<input type="hidden" name="next" value="/clinic/clients/{nora.pk}/">' in panel

    with schema_context(alpha.practice.schema_name):
        ClientInvitation.objects.filter(user=nora).update(
            expires_at=timezone.now() - timedelta(minutes=1))
    connection.set_schema_to_public()
    panel = record(alpha, nora)
    assert "<strong>Invited, link expired</strong>: the last link ran out" in panel
    assert ">Resend invitation</button>" in panel
    listing = page_text(alpha.http(alpha.front_desk).get("/clients/"))
    assert listing.count("Invited, link expired") == 1
    assert listing.count("Not invited") == 1

    # Resend from the record: back to the record, a new link, the old one dead.
    with django_capture_on_commit_callbacks(execute=True):
        resent = alpha.http(alpha.clinician).post(
            f"/clients/{nora.pk}/access/invite/", {"next": f"/clinic/clients/{nora.pk}/"})
    assert (resent.status_code, resent["Location"]) == (302, f"/clinic/clients/{nora.pk}/")
    assert invitation_rows(alpha) == [("nora@example.org", "revoked"),
                                      ("nora@example.org", "open")]
    assert alpha.http().get(link_path(mailbox.messages[0])).status_code == 410
    http, accepted = accept(alpha, link_path(mailbox.messages[1]))
    assert accepted.status_code == 302
    panel = record(alpha, nora)
    assert "<strong>Using the portal</strong>" in panel
    assert "Resend invitation" not in panel

    # Revoke from the record: every session ends now.
    assert session_count(alpha, nora.pk) == 1
    revoked = alpha.http(alpha.clinician).post(f"/clients/{nora.pk}/access/revoke/",
                                               {"next": f"/clinic/clients/{nora.pk}/"})
    assert (revoked.status_code, revoked["Location"]) == (302, f"/clinic/clients/{nora.pk}/")
    assert session_count(alpha, nora.pk) == 0
    assert http.get("/portal/").status_code == 302
    panel = record(alpha, nora)
    assert "<strong>Access revoked</strong>: the client cannot sign in." in panel
    assert ">Invite to the portal</button>" in panel
    writes = ("client.invited", "client.invitation_sent", "client.invitation_accepted",
              "client.access_revoked")
    assert [row[0] for row in events(alpha, *writes)] == list(writes)
    assert events(beta, "client.") == []


def test_a_next_address_off_the_site_is_ignored(alpha, beta, mailbox,
                                                django_capture_on_commit_callbacks) -> None:
    invite(alpha, django_capture_on_commit_callbacks)
    nora = user_by_email(alpha, "nora@example.org")
    for target in ("https://evil.example/", "//evil.example/"):
        response = alpha.http(alpha.clinician).post(f"/clients/{nora.pk}/access/revoke/",
                                                    {"next": target})
        assert (response.status_code, response["Location"]) == (
            302, f"/clients/{nora.pk}/access/")
