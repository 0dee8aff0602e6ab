"""The daily staff digest: counts and links for each staff member, once a day, by email, from
the sections features register; nothing about who a client is or what they answered."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from practice.engagement import services
from practice.measurement import services as measurement_services
from practice.measurement.models import Alert
from practice.notifications import digest, kinds
from practice.notifications.delivery import deliver
from practice.notifications.digest import DigestSection
from practice.notifications.models import Notification, NotificationPreference
from tenants.actor import Actor
from tests.engagement.helpers import inside
from tests.portal.helpers import prepare, submit_phq9


def _digests() -> list[tuple[int, str, str, dict]]:
    return [(row.recipient_id, row.channel, row.idempotency_key, row.context)
            for row in Notification.objects.filter(kind="staff_digest").order_by("pk")]


def test_digest_counts_links_and_no_phi(alpha, beta, mailbox) -> None:
    prepare(alpha)
    prepare(beta)
    submit_phq9(alpha, 14, q9=2)  # an urgent alert today
    submit_phq9(alpha, 16, q9=1)  # and another, made older and acknowledged below
    now = timezone.now()
    with inside(alpha):
        older, newer = Alert.objects.order_by("pk")
        Alert.objects.filter(pk=older.pk).update(created_at=now - timedelta(days=2))
        measurement_services.alert_acknowledge(alert_id=older.pk, actor=Actor.of(alpha.clinician))
        Notification.objects.all().delete()  # the alerts' own notifications: not the point
        assert services.staff_digest_enqueue(now=now, local_hour=0) == 1
        day = now.date().isoformat()
        assert _digests() == [(
            alpha.clinician.pk, "email", f"staff_digest:{alpha.clinician.pk}:{day}:email",
            {"date": day, "sections": [
                {"key": "alerts_open", "count": 2, "label": "2 alerts in your inbox",
                 "path": "/clinic/alerts/"},
                {"key": "alerts_new", "count": 1, "label": "1 new alerts since yesterday",
                 "path": "/clinic/alerts/"},
            ]})]
        # Once a day: the next hourly run adds nothing.
        later = now + timedelta(minutes=30) if now.hour < 23 else now - timedelta(minutes=30)
        assert services.staff_digest_enqueue(now=later, local_hour=0) == 0
        assert len(_digests()) == 1
        # Not before the morning where the staff member is.
        Notification.objects.all().delete()
        assert services.staff_digest_enqueue(now=now, local_hour=24) == 0
        assert _digests() == []

        assert services.staff_digest_enqueue(now=now, local_hour=0) == 1
        row = Notification.objects.get(kind="staff_digest")
        deliver(row, kinds.get("staff_digest"), schema_name=alpha.practice.schema_name)
    [email] = mailbox.messages
    assert email["To"] == alpha.clinician.email
    assert email["Subject"] == "Your daily summary"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    for body in (text, html):
        assert "2 alerts in your inbox" in body
        assert "1 new alerts since yesterday" in body
        assert f"http://{alpha.host}/clinic/alerts/" in body or \
            f"https://{alpha.host}/clinic/alerts/" in body
        for secret in ("Chris", "client@example.org", "PHQ", "item 9", "answered"):
            assert secret not in body
    with inside(beta):
        assert services.staff_digest_enqueue(now=now, local_hour=0) == 0
        assert _digests() == []


def _broken(user, since) -> int:
    raise RuntimeError("a section with a bug")


def test_digest_survives_a_broken_section_and_respects_the_preference(alpha, beta,
                                                                       monkeypatch) -> None:
    prepare(alpha)
    submit_phq9(alpha, 14, q9=2)
    monkeypatch.setitem(digest._SECTIONS, "broken", DigestSection(
        key="broken", label="{count} broken", count=_broken, link="/",
        roles=frozenset({"clinician"})))
    with inside(alpha):
        Notification.objects.all().delete()
        assert services.staff_digest_enqueue(now=timezone.now(), local_hour=0) == 1
        [(recipient, _, _, context)] = _digests()
        assert (recipient, [line["key"] for line in context["sections"]]) == (
            alpha.clinician.pk, ["alerts_open", "alerts_new"])
        Notification.objects.all().delete()
        NotificationPreference.objects.update_or_create(
            user=alpha.clinician,
            defaults={"channels": {"email": {"alerts": True, "digest": False},
                                   "push": {"alerts": True, "digest": False}}})
        assert services.staff_digest_enqueue(now=timezone.now(), local_hour=0) == 0
        assert _digests() == []
    with inside(beta):
        assert Notification.objects.count() == 0
