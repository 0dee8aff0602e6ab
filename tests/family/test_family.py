"""Proxies end to end: staff invite a parent from the client's record (single use, expiring,
resendable, revocable, with the proxy consent); the parent of two switches between them; the
clinician marks an item "not for proxies" and a goal shareable; the daily age rule shrinks the
views to what the teen grants and asks the teen; caregiver reports are scored with their
informant and raise alerts; the proxy's thread is apart from the client's; and a teen's journal
canary reaches nothing a proxy receives. The look-alike practice is never touched."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from django.db import connection
from django_tenants.utils import schema_context

from practice.care.models import Goal, JournalEntry
from practice.family import services
from practice.family.instruments import PARENT_REPORT, SELF_REPORT
from practice.family.models import (
    CaregiverReport,
    ClientAgeFacts,
    FamilySettings,
    ProxyInvitation,
    ProxyLink,
)
from practice.measurement import services as measurement_services
from practice.measurement.models import Alert, Response
from practice.messaging.models import Message
from practice.models import ClientProfile
from practice.notifications import delivery, kinds
from practice.notifications.models import Notification
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.features import MODULE_KEYS, MessagingPolicyKind
from tests.conftest import PASSWORD, PracticeWorld
from tests.family.helpers import proxy_linked

LINK = re.compile(r"http://[^\s\"<>]+/family/invitation/[^\s\"<>/]+/")
PARENT = {"full_name": "Pat Parent", "email": "pat@example.org", "relationship": "mother",
          "tier": "progress"}
PROXY_PASSWORD = "a-long-family-passphrase"
CANARY = "CANARY-7f3a teen journal words"


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _all_text(message) -> str:
    return "\n".join(part.get_content() for part in message.walk()
                     if part.get_content_type() in ("text/plain", "text/html"))


def _path(message) -> str:
    links = LINK.findall(_text(message))
    assert len(links) == 1
    return urlsplit(links[0]).path


def _invite(world: PracticeWorld, capture, client_id: int, **overrides):
    with capture(execute=True):
        return world.http(world.clinician).post(f"/family/staff/clients/{client_id}/invite/",
                                                {**PARENT, **overrides})


def _accept(world: PracticeWorld, path: str, password: str = PROXY_PASSWORD, *, new=True):
    http = world.http()
    data = {"password1": password, "agree": "on", "version": "1"}
    if new:
        data["password2"] = password
    return http, http.post(path, data)


def _events(world: PracticeWorld, prefix: str) -> list[str]:
    with schema_context(world.practice.schema_name):
        rows = list(AuditEvent.objects.filter(action__startswith=prefix).order_by("id")
                    .values_list("action", flat=True))
    connection.set_schema_to_public()
    return rows


def _on(world: PracticeWorld) -> None:
    world.practice.enabled_modules = list(MODULE_KEYS)
    world.practice.save(update_fields=["enabled_modules"])


def test_a_parent_is_invited_accepts_and_switches_between_two_children(
        clock, alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    _on(alpha)
    with schema_context(alpha.practice.schema_name):
        ClientProfile.objects.get_or_create(user=alpha.client)[0].clinicians.add(alpha.clinician)
        sibling = User.objects.create_user("kid2@example.org", PASSWORD, full_name="Kim Kid",
                                           role=Role.CLIENT)
        ClientProfile.objects.create(user=sibling).clinicians.add(alpha.clinician)
    response = _invite(alpha, django_capture_on_commit_callbacks, alpha.client.pk)
    assert response.status_code == 302
    [message] = mailbox.to("pat@example.org")
    # No PHI: neither the child's name nor the relationship.
    assert "Chris" not in _all_text(message) and "mother" not in _all_text(message)
    first_path = _path(message)
    # A resend kills the first link.
    with schema_context(alpha.practice.schema_name):
        link = ProxyLink.objects.get(client=alpha.client)
    with django_capture_on_commit_callbacks(execute=True):
        alpha.http(alpha.clinician).post(f"/family/staff/links/{link.pk}/",
                                         {"action": "resend"})
    second_path = _path(mailbox.to("pat@example.org")[-1])
    assert alpha.http().get(first_path).status_code == 410
    http, accepted = _accept(alpha, second_path)
    assert accepted.status_code == 302 and accepted["Location"] == "/family/"
    assert _accept(alpha, second_path)[1].status_code == 410  # single use
    # One child: straight to their page, whose record it is on it.
    page = http.get("/family/", follow=True)
    assert page.redirect_chain[-1][0] == f"/family/{alpha.client.pk}/"
    assert "You are viewing Chris Client's record" in page.content.decode()
    # A second child: the same account, confirmed with its password.
    _invite(alpha, django_capture_on_commit_callbacks, sibling.pk, tier="logistics")
    _http2, joined = _accept(alpha, _path(mailbox.to("pat@example.org")[-1]), new=False)
    assert joined.status_code == 302
    switcher = http.get("/family/").content.decode()
    assert f'href="/family/{alpha.client.pk}/"' in switcher
    assert f'href="/family/{sibling.pk}/"' in switcher
    assert http.get(f"/family/{sibling.pk}/progress/").status_code == 404  # logistics tier
    assert _events(alpha, "family.proxy_invit") == [
        "family.proxy_invited", "family.proxy_invitation_sent",
        "family.proxy_invitation_accepted", "family.proxy_invited",
        "family.proxy_invitation_accepted"]
    # Revoking one link keeps the account; revoking the last ends every session.
    with schema_context(alpha.practice.schema_name):
        links = list(ProxyLink.objects.filter(proxy__email="pat@example.org"))
    alpha.http(alpha.clinician).post(f"/family/staff/links/{links[0].pk}/", {"action": "revoke"})
    assert http.get(f"/family/{links[0].client_id}/").status_code == 404
    assert http.get(f"/family/{links[1].client_id}/").status_code == 200
    alpha.http(alpha.clinician).post(f"/family/staff/links/{links[1].pk}/", {"action": "revoke"})
    assert http.get("/family/").status_code == 302  # signed out
    with schema_context(beta.practice.schema_name):
        assert ProxyLink.objects.count() == 0
        assert not User.objects.filter(role=Role.PROXY).exists()


def test_an_expired_link_is_refused(clock, alpha, beta, mailbox,
                                    django_capture_on_commit_callbacks) -> None:
    _on(alpha)
    with schema_context(alpha.practice.schema_name):
        ClientProfile.objects.get_or_create(user=alpha.client)[0].clinicians.add(alpha.clinician)
    _invite(alpha, django_capture_on_commit_callbacks, alpha.client.pk)
    path = _path(mailbox.to("pat@example.org")[-1])
    clock.shift(timedelta(days=8))
    assert _accept(alpha, path)[1].status_code == 410
    with schema_context(alpha.practice.schema_name):
        assert ProxyLink.objects.get().accepted_at is None
        assert ProxyInvitation.objects.get().used_at is None


def test_marks_and_the_age_rule(clock, alpha, beta, mailbox,
                                django_capture_on_commit_callbacks) -> None:
    _on(alpha)
    with schema_context(alpha.practice.schema_name):
        FamilySettings.objects.create(self_consent_age=15)
        teen = alpha.client
        ClientProfile.objects.get_or_create(user=teen)[0].clinicians.add(alpha.clinician)
        ClientAgeFacts.objects.create(client=teen, birth_date=date(2011, 6, 18))  # 15 tomorrow
        parent = proxy_linked(teen, email="pat@example.org", tier_key="progress")
        shared = Goal.objects.create(client=teen, title="Sleep by 11", created_by=alpha.clinician)
        Goal.objects.create(client=teen, title="Private goal", created_by=alpha.clinician)
    http = alpha.http(parent)
    clinician = alpha.http(alpha.clinician)
    assert "Sleep by 11" not in http.get(f"/family/{teen.pk}/goals/").content.decode()
    clinician.post(f"/family/staff/clients/{teen.pk}/marks/",
                   {"kind": "goals", "object_id": shared.pk, "mark": "shareable", "is_on": "1"})
    goals = http.get(f"/family/{teen.pk}/goals/").content.decode()
    assert "Sleep by 11" in goals and "Private goal" not in goals
    clinician.post(f"/family/staff/clients/{teen.pk}/marks/",
                   {"kind": "goals", "object_id": shared.pk, "mark": "hidden", "is_on": "1"})
    assert "Sleep by 11" not in http.get(f"/family/{teen.pk}/goals/").content.decode()
    # Below the age the teen cannot grant anything.
    with schema_context(alpha.practice.schema_name):
        link = ProxyLink.objects.get(client=teen)
    alpha.http(teen).post(f"/family/sharing/{link.pk}/",
                          {f"link{link.pk}-kinds": ["journal"]})
    with schema_context(alpha.practice.schema_name):
        assert ProxyLink.objects.get(pk=link.pk).kinds_granted == []
    # The next day the teen is 15: the daily job shrinks the view to what they grant.
    clock.shift(timedelta(days=1))
    with schema_context(alpha.practice.schema_name):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.age_transitions_run(practice=alpha.practice) == 1
        assert services.age_transitions_run(practice=alpha.practice) == 0  # once
    http = alpha.http(parent)  # a new day, a new session
    assert http.get(f"/family/{teen.pk}/appointments/").status_code == 404
    [asked] = mailbox.to(teen.email)
    assert "/family/sharing/" in _text(asked)
    sharing = alpha.http(teen).get("/family/sharing/").content.decode()
    assert "Pat Parent" in sharing and "nothing" in sharing
    alpha.http(teen).post(f"/family/sharing/{link.pk}/",
                          {f"link{link.pk}-kinds": ["appointments"]})
    assert http.get(f"/family/{teen.pk}/appointments/").status_code == 200
    assert http.get(f"/family/{teen.pk}/goals/").status_code == 404
    assert _events(alpha, "family.age") == ["family.age_reached"]
    assert _events(alpha, "family.grants") == ["family.grants_changed"]


def test_caregiver_reports_are_scored_with_their_informant_and_raise_alerts(
        clock, alpha, beta) -> None:
    _on(alpha)
    with schema_context(alpha.practice.schema_name):
        teen = alpha.client
        ClientProfile.objects.get_or_create(user=teen)[0].clinicians.add(alpha.clinician)
        for definition in (PARENT_REPORT, SELF_REPORT):
            measurement_services.practice_instrument_save(data=definition,
                                                          actor=Actor.of(alpha.clinician))
            measurement_services.practice_instrument_publish(key=definition["key"],
                                                             actor=Actor.of(alpha.clinician))
        response = measurement_services.response_start_adhoc(client=teen,
                                                             instrument_key="family_mood_self")
        measurement_services.response_submit(client=teen, response_id=response.pk,
                                             answers={"q1": 0, "q2": 0, "q3": 1, "q4": 0})
        parent = proxy_linked(teen, email="pat@example.org", tier_key="logistics")
        link = ProxyLink.objects.get(client=teen)
        assignment = services.caregiver_assign(link_id=link.pk,
                                               instrument_key="family_mood_parent",
                                               compare_with="family_mood_self",
                                               actor=Actor.of(alpha.clinician))
    http = alpha.http(parent)
    page = http.get(f"/family/{teen.pk}/")
    assert "Family mood check (parent report)" in page.content.decode()
    answered = http.post(f"/family/{teen.pk}/questionnaires/{assignment.pk}/",
                         {"q1": "3", "q2": "2", "q3": "2", "q4": "2"})
    assert answered.status_code == 302
    with schema_context(alpha.practice.schema_name):
        report = CaregiverReport.objects.get()
        assert (report.informant_id, report.relationship, report.total, report.band_label,
                report.flags) == (parent.pk, "parent", 9, "High", ["q4"])
        summaries = dict(Alert.objects.filter(client=teen).values_list("kind", "summary"))
        assert sorted(summaries) == ["caregiver_report", "informant_disagreement"]
        # Named as the staff know the instruments (titles, not keys), the gap in points.
        assert summaries["caregiver_report"] == (
            "Family mood check (parent report): caregiver report flagged")
        assert summaries["informant_disagreement"].endswith(": informants 8 points apart")
        assert "FAMILY_MOOD" not in summaries["informant_disagreement"]
        # The client's own history holds only the client's own answers.
        assert list(Response.objects.filter(client=teen, status="submitted")
                    .values_list("instrument_key", flat=True)) == ["family_mood_self"]
    staff_page = alpha.http(alpha.clinician).get(f"/family/staff/clients/{teen.pk}/")
    staff_text = staff_page.content.decode()
    assert "Pat Parent (parent)" in staff_text and staff_text.count("<svg") == 2
    with schema_context(beta.practice.schema_name):
        assert not Alert.objects.exists()


def test_a_teen_journal_canary_reaches_nothing_a_proxy_receives(
        clock, alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    _on(alpha)
    with schema_context(alpha.practice.schema_name):
        FamilySettings.objects.create(self_consent_age=14)
        teen = alpha.client
        ClientProfile.objects.get_or_create(user=teen)[0].clinicians.add(alpha.clinician)
        JournalEntry.objects.create(client=teen, body=CANARY, is_shared=True)
        JournalEntry.objects.create(client=teen, body=CANARY + " private")
    parent_http = None
    bodies: list[str] = []
    for birth in (date(2014, 1, 1), date(2010, 1, 1)):  # below, then above the age
        with schema_context(alpha.practice.schema_name):
            ClientAgeFacts.objects.update_or_create(client=teen, defaults={"birth_date": birth})
        if parent_http is None:
            _invite(alpha, django_capture_on_commit_callbacks, teen.pk, tier="full")
            parent_http, _ = _accept(alpha, _path(mailbox.to("pat@example.org")[-1]))
            with schema_context(alpha.practice.schema_name):
                link = ProxyLink.objects.get(client=teen)
        with django_capture_on_commit_callbacks(execute=True):
            alpha.http(alpha.clinician).post(f"/family/staff/links/{link.pk}/message/",
                                             {"body": "See you Tuesday"})
        _deliver_outbox(alpha)  # the notice, before the parent reads it
        for path in ("/family/", f"/family/{teen.pk}/", "/family/account/",
                     "/api/v1/family/clients"):
            bodies.append(parent_http.get(path).content.decode())
        for kind in ("appointments", "forms", "invoices", "messages", "progress", "goals",
                     "homework", "documents", "resources", "safety_plan", "journal", "mood",
                     "self_report", "client_messages"):
            bodies.append(parent_http.get(f"/family/{teen.pk}/{kind}/").content.decode())
            bodies.append(parent_http.get(
                f"/api/v1/family/clients/{teen.pk}/{kind}").content.decode())
    emails = [_all_text(message) for message in mailbox.to("pat@example.org")]
    # The invitation and one message notice: from the age on, the teen granted nothing, so the
    # practice cannot write to the parent (no messages in what the parent sees).
    assert len(emails) == 2
    with schema_context(alpha.practice.schema_name):
        notices = list(Notification.objects.filter(recipient__role=Role.PROXY))
    assert all("CANARY" not in text for text in bodies + emails)
    # Proxies get email notices only, and those carry no PHI (no name, no text, no client).
    assert [(row.channel, row.status) for row in notices] == [("email", "sent")]
    assert "See you Tuesday" not in emails[1] and "Chris" not in emails[1]
    assert "/family/" in emails[1]
    assert len(bodies) == 64


def _deliver_outbox(world: PracticeWorld) -> None:
    """Play the notification worker for every notice due (pinned clock: two minutes on)."""
    with schema_context(world.practice.schema_name):
        for row in Notification.objects.filter(status=Notification.Status.PENDING):
            if not kinds.get(row.kind).is_still_due(row):
                continue
            delivery.deliver(row, kinds.get(row.kind), schema_name=world.practice.schema_name)
            row.status = Notification.Status.SENT
            row.save(update_fields=["status"])


def test_the_proxys_thread_is_not_the_clients(clock, alpha, beta) -> None:
    _on(alpha)
    with schema_context(alpha.practice.schema_name):
        teen = alpha.client
        ClientProfile.objects.get_or_create(user=teen)[0].clinicians.add(alpha.clinician)
        FamilySettings.objects.create(self_consent_age=14)
        ClientAgeFacts.objects.create(client=teen, birth_date=date(2015, 1, 1))
        parent = proxy_linked(teen, email="pat@example.org", tier_key="logistics")
    http = alpha.http(parent)
    # Under "reply only" the practice writes first, for a proxy as for a client.
    alpha.practice.messaging_policy = MessagingPolicyKind.REPLY_ONLY
    alpha.practice.save(update_fields=["messaging_policy"])
    refused = http.post(f"/family/{teen.pk}/messages/", {"body": "Can we move Tuesday?"})
    assert refused.status_code == 400
    assert "The practice writes first" in refused.content.decode()
    with schema_context(alpha.practice.schema_name):
        link = ProxyLink.objects.get()
    # The front desk has no messaging unless the practice says so.
    assert alpha.http(alpha.front_desk).post(f"/family/staff/links/{link.pk}/message/",
                                             {"body": "Hello"}).status_code == 302
    alpha.http(alpha.clinician).post(f"/family/staff/links/{link.pk}/message/",
                                     {"body": "Hello from the practice"})
    sent = http.post(f"/family/{teen.pk}/messages/", {"body": "Can we move Tuesday?"})
    assert sent.status_code == 302
    with schema_context(alpha.practice.schema_name):
        assert list(Message.objects.filter(conversation__proxy_link=link)
                    .values_list("author_id", flat=True)) == [alpha.clinician.pk, parent.pk]
    assert "Can we move Tuesday?" in http.get(f"/family/{teen.pk}/messages/").content.decode()
    assert "Can we move Tuesday?" not in alpha.http(teen).get("/portal/messages/").content.decode()
    assert "Pat Parent (parent) about" in alpha.http(alpha.clinician).get(
        "/messages/").content.decode()
    # Staff not reaching the client cannot write in the thread.
    assert alpha.http(alpha.billing).post(f"/family/staff/links/{link.pk}/message/",
                                          {"body": "x"}).status_code == 404
