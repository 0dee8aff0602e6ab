"""The Today page per role, end to end through the UI: a clinician's sessions with headlines
and who needs attention and why; the owner's figures and setup checklist; the front desk's day
with nothing clinical. Another practice's look-alike data never shows and nothing changes; query
counts do not grow with clients or history."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from portal.models import ClientAccess, ClientInvitation
from practice.appointments.models import Appointment, AppointmentType
from practice.measurement.models import Alert, Response
from practice.models import ClientProfile
from practice.outcomes.services import episode_open
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld
from tests.measurement.clinic_world import forget_readings, give_history, prepare, raise_alert
from tests.measurement.test_clinic_pages import text_of

CLINICAL_WORDS = ("PHQ-9", "GAD-7", "Reliable", "baseline", "Moderate", "Mild", "Severe",
                  "item 9", "alert", "Alert", "overdue", "Risk", "review")


def book(world: PracticeWorld, client: User, starts_at: datetime, *,
         clinician: User | None = None, status: str = "booked") -> Appointment:
    kind, _ = AppointmentType.objects.get_or_create(name="Therapy session",
                                                    defaults={"duration_minutes": 50})
    return Appointment.objects.create(
        client=client, clinician=clinician or world.clinician, appointment_type=kind,
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=50), mode="in_person",
        status=status, booked_by=world.owner)


def add_client(world: PracticeWorld, name: str, *, clinician: User | None = None) -> User:
    client = User.objects.create_user(f"{name.lower().replace(' ', '.')}@example.org", PASSWORD,
                                      full_name=name, role=Role.CLIENT)
    profile = ClientProfile.objects.create(user=client, timezone="America/Chicago")
    profile.clinicians.add(clinician or world.clinician)
    return client


def populate(world: PracticeWorld, marker: str) -> dict[str, User]:
    """Call under the `clock` (its default, 14:00 in New York: a session three hours later is
    still today, one a day later tomorrow, at any hour the suite runs).

    Chris Client improves (session today), a deteriorating client, one with a risk answer
    three days ago, one with a measure overdue, one not seen for 40 days, one doing well."""
    prepare(world)
    now = timezone.now()
    with schema_context(world.practice.schema_name):
        start = now - timedelta(weeks=10)
        give_history(world.client, "phq9", [20, 14, 8], start=start)
        book(world, world.client, now + timedelta(hours=3))
        worse = add_client(world, f"Wendy Worse {marker}")
        give_history(worse, "phq9", [5, 9, 15], start=start)
        book(world, worse, now + timedelta(days=1, hours=2))
        risky = add_client(world, f"Rita Risk {marker}")
        alert = raise_alert(risky, [world.clinician], summary="PHQ-9: item 9 answered 2")
        Alert.objects.filter(pk=alert.pk).update(created_at=now - timedelta(days=3))
        late = add_client(world, f"Otto Overdue {marker}")
        Response.objects.create(client=late, instrument_key="gad7",
                                due_at=now - timedelta(days=2), definition_version=1)
        gone = add_client(world, f"Nina Notseen {marker}")
        book(world, gone, now - timedelta(days=40), status="completed")
        fine = add_client(world, f"Fiona Fine {marker}")
        give_history(fine, "gad7", [8, 7], start=start)
        other = User.objects.create_user(f"other.{marker}@example.org", PASSWORD,
                                         full_name="Olga Otherclinician", role=Role.CLINICIAN)
        theirs = add_client(world, f"Theo Theirs {marker}", clinician=other)
        give_history(theirs, "phq9", [3, 20], start=start)
    return {"worse": worse, "risky": risky, "late": late, "gone": gone, "fine": fine,
            "theirs": theirs}


def snapshot(world: PracticeWorld) -> tuple[int, int, int]:
    with schema_context(world.practice.schema_name):
        return (Response.objects.count(), Alert.objects.count(), Appointment.objects.count())


def test_clinician_sees_sessions_with_headlines_and_who_needs_attention(clock, alpha, beta) -> None:
    clients = populate(alpha, "A")
    populate(beta, "B")
    before = snapshot(beta)

    response = alpha.http(alpha.clinician).get("/")

    assert response.status_code == 200
    text = text_of(response.content.decode())
    today = text.split("Today's sessions")[1].split("Tomorrow")[0]
    assert "Chris Client" in today
    assert "PHQ-9 8 Mild · −12 since baseline Reliable improvement" in today
    assert f'href="/clinic/clients/{alpha.client.pk}/review/"' in response.content.decode()
    tomorrow = text.split("Tomorrow")[1].split("Open alerts")[0]
    assert "Wendy Worse A" in tomorrow and "+10 since baseline Reliable deterioration" in tomorrow
    attention = text.split("Clients who need attention", 1)[1].split("Forms awaiting")[0]
    assert attention.index("Rita Risk A") < attention.index("Wendy Worse A")  # urgent first
    assert "Risk answer in the last 14 days (1; latest 3 days ago)" in attention
    assert "PHQ-9: reliable deterioration since the baseline (+10)" in attention
    assert "Otto Overdue A" in attention and "1 measure overdue" in attention
    assert "Nina Notseen A Not seen for 40 days, nothing booked" in attention
    assert "Fiona Fine" not in attention and "Chris Client" not in attention
    assert "Theo Theirs" not in text  # another clinician's client
    assert " B " not in f" {text} " and "Otherclinician" not in text
    assert "PHQ-9: item 9 answered 2" in text.split("Open alerts")[1]
    assert snapshot(beta) == before
    with schema_context(alpha.practice.schema_name):
        event = AuditEvent.objects.get(action="client.today_viewed")
    assert event.actor_id == alpha.clinician.pk
    assert sorted(event.detail["client_ids"]) == sorted(
        [alpha.client.pk, *(clients[key].pk for key in ("worse", "risky", "late", "gone"))])


def test_change_is_counted_from_the_baseline_of_the_current_episode(clock, alpha, beta) -> None:
    populate(alpha, "A")
    populate(beta, "B")
    with schema_context(alpha.practice.schema_name):
        first = Response.objects.filter(client=alpha.client, instrument_key="phq9").order_by(
            "submitted_at")[0]
        # A new episode began after the first score (20): its baseline is the second (14).
        episode_open(client=alpha.client, actor=Actor.of(alpha.clinician),
                     started_at=first.submitted_at + timedelta(days=1))

    text = text_of(alpha.http(alpha.clinician).get("/").content.decode())

    today = text.split("Today's sessions")[1].split("Tomorrow")[0]
    assert "PHQ-9 8 Mild · −6 since baseline Reliable improvement" in today


def test_front_desk_sees_the_day_invitations_and_forms_and_nothing_clinical(
        clock, alpha, beta) -> None:
    populate(alpha, "A")
    populate(beta, "B")
    now = timezone.now()
    with schema_context(alpha.practice.schema_name):
        invited = add_client(alpha, "Ivy Invited")
        ClientAccess.objects.create(user=invited, invited_at=now - timedelta(days=9))
        ClientInvitation.objects.create(user=invited, token_hash="x" * 64, invited_by=alpha.owner,
                                        expires_at=now - timedelta(days=2))
        pending = add_client(alpha, "Paul Pending")
        ClientAccess.objects.create(user=pending, invited_at=now - timedelta(days=1))
        ClientInvitation.objects.create(user=pending, token_hash="y" * 64,
                                        invited_by=alpha.owner,
                                        expires_at=now + timedelta(days=6))
    before = snapshot(alpha)

    response = alpha.http(alpha.front_desk).get("/")

    assert response.status_code == 200
    text = text_of(response.content.decode())
    appointments = text.split("Today's appointments", 1)[1].split("Portal invitations")[0]
    assert "Chris Client Casey Clinician Therapy session Booked" in appointments
    invitations = text.split("Portal invitations")[1]
    assert "Ivy Invited Expired" in invitations and "Paul Pending Pending" in invitations
    for word in CLINICAL_WORDS:
        assert word not in text, word
    assert "Wendy Worse" not in text and " B " not in f" {text} "
    assert snapshot(alpha) == before


def test_owner_sees_the_practice_at_a_glance_and_the_setup_checklist(alpha, beta) -> None:
    populate(alpha, "A")
    populate(beta, "B")

    response = alpha.http(alpha.owner).get("/")

    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(html)
    assert "Set up your practice" in text
    assert "Done Invite your first clinician" in text
    assert "To do Set your branding" in text and "To do Invite your first client" in text
    glance = text.split("The practice")[1].split("Open alerts by age")[0]
    assert "7 active clients" in glance  # Chris and the six added; beta's are not counted
    assert "3 clinicians" in glance
    ages = text.split("Open alerts by age")[1].split("Last 12 months")[0]
    assert "1 to 7 days 1 0" in ages
    assert "Measures completed per month" in html and "<svg" in html
    months = text.split("Table: the last 12 months")[1]
    assert months.count(" of ") >= 12
    # The owner sees every client's attention, another clinician's included.
    assert "Theo Theirs A" in text


def test_owner_checklist_disappears_when_every_step_is_done(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        for action in ("settings.branding_changed", "settings.enabled_modules_changed"):
            AuditEvent.objects.create(action=action, actor_id=alpha.owner.pk)
        ClientInvitation.objects.create(user=alpha.client, token_hash="z" * 64,
                                        invited_by=alpha.owner,
                                        expires_at=timezone.now() + timedelta(days=7))

    text = text_of(alpha.http(alpha.owner).get("/").content.decode())

    assert "Set up your practice" not in text


def _queries(world: PracticeWorld, user: User) -> int:
    http = world.http(user)
    http.get("/")  # warm caches (branding, sessions) alike for both sides
    forget_readings(world)  # every client's reading worked out: the costlier case
    with CaptureQueriesContext(connection) as queries:
        assert http.get("/").status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_clients_or_history(alpha) -> None:
    populate(alpha, "A")
    small = {who: _queries(alpha, getattr(alpha, who))
             for who in ("clinician", "owner", "front_desk")}
    with schema_context(alpha.practice.schema_name):
        now = timezone.now()
        for index in range(12):
            client = add_client(alpha, f"Extra {index}")
            give_history(client, "phq9", [20 - index % 10, 12, 4 + index % 9],
                         start=now - timedelta(weeks=30))
            book(alpha, client, now + timedelta(days=1, hours=3, minutes=55 * index))
            raise_alert(client, [alpha.clinician], severity="routine")
            Response.objects.create(client=client, instrument_key="gad7",
                                    due_at=now - timedelta(days=1), definition_version=1)
    large = {who: _queries(alpha, getattr(alpha, who))
             for who in ("clinician", "owner", "front_desk")}

    assert large == small
    # Clinician: routing, session, user, timezones (2); attention (client ids, read once for
    # every query after, episodes, first and latest scores of clients without an episode, risk
    # answers, overdue, engagement alerts, sessions, names); the day's sessions and their
    # headlines (4); alerts (2); unread
    # messages (the practice's messaging settings are not read: they only concern front desk);
    # forms; the audit event. The navigation's two counts are the page's own (not counted
    # again). The owner adds the practice's figures (12 months in 4 grouped queries, counts,
    # alert ages, setup).
    # The expected paths' status of the attention list and of the day's sessions (two each,
    # and the sessions' only when there are sessions).
    # Readings (practice.today.readings), of the clinician's clients and the day's sessions'
    # at once: their stamps, then their headlines and paths worked out (every reading
    # forgotten, with the clients' latest submissions), for the attention list and the
    # sessions alike.
    assert small == {"clinician": 26, "owner": 38, "front_desk": 10}


def test_the_attention_rows_are_escaped_with_their_badges_and_links(clock, alpha) -> None:
    """The attention table's rows are written by the view (attention_rows_html)."""
    populate(alpha, "A")
    with schema_context(alpha.practice.schema_name):
        odd = add_client(alpha, "Olive <i>Odd</i> & Co")
        raise_alert(odd, [alpha.clinician], summary="PHQ-9: item 9 answered 1")
    html = alpha.http(alpha.clinician).get("/").content.decode()
    attention = html.split('id="attention"', 1)[1].split("</table>", 1)[0]
    assert "Olive &lt;i&gt;Odd&lt;/i&gt; &amp; Co" in attention and "<i>Odd</i>" not in attention
    row = attention.split("Olive &lt;i&gt;Odd&lt;/i&gt; &amp; Co", 1)[1].split("</tr>", 1)[0]
    assert '<span class="status status-danger">Urgent</span>' in row
    assert f'<a href="/clinic/clients/{odd.pk}/">Open<span class="visually-hidden"> Olive ' \
           "&lt;i&gt;Odd&lt;/i&gt; &amp; Co</span></a>" in row
    worse = attention.split("Wendy Worse A", 1)[1].split("</tr>", 1)[0]
    assert "<li>PHQ-9: reliable deterioration since the baseline (+10)</li>" in worse
