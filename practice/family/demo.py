"""Demo family: an adolescent client (Mia Harper, 13, below the practice's age of self-consent,
14) whose mother (Dana Harper, parent@demo.localhost) is her proxy in the "progress" tier: she
sees Mia's appointments, forms, invoices, her own thread with the practice, the clinician's
progress summary and the one goal marked shareable; never Mia's journal, mood or answers. Dana
fills in a practice-defined parent report about Mia every week: last week's is charted beside
Mia's own and raised a caregiver alert and an informant-disagreement alert, and this week's is
due in her portal. Idempotent: nothing is done once Mia
exists."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from portal.consent import current_consent
from portal.models import ClientAccess, ConsentAcceptance
from practice.appointments.models import Appointment, AppointmentType
from practice.appointments.selectors import clinician_free_from
from practice.care.models import Goal, JournalEntry
from practice.family import services
from practice.family.instruments import PARENT_REPORT, SELF_REPORT
from practice.family.models import (
    ClientAgeFacts,
    FamilySettings,
    ProxyAccount,
    ProxyConsentAcceptance,
    ProxyLink,
    ProxyTier,
)
from practice.family.policies import PROXY_CONSENT
from practice.measurement import services as measurement_services
from practice.measurement.models import PracticeInstrument
from practice.models import ClientProfile
from practice.outcomes.services import episode_ensure_open
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.models import Practice

TEEN_EMAIL = "mia@demo.localhost"
PARENT_EMAIL = "parent@demo.localhost"
DEMO_CLINICIAN = "clinician@demo.localhost"
ZONE = "America/New_York"
SELF_CONSENT_AGE = 14
SUMMARY = ("Mia comes every week and is working hard. Sleep has improved and she is back at "
           "swimming practice. We are practising ways to handle worry before tests.")
# Mia's own words: never shown to her mother (the teen-journal canary of the demo).
JOURNAL = "I don't want Mum to know I skipped lunch again this week."


@transaction.atomic
def seed(practice: Practice, *, password: str) -> bool:
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    owner = User.objects.filter(role=Role.OWNER).first()
    if clinician is None or owner is None or User.objects.filter(email=TEEN_EMAIL).exists():
        return False
    now = timezone.now()
    FamilySettings.objects.update_or_create(singleton=True,
                                            defaults={"self_consent_age": SELF_CONSENT_AGE})
    teen = User.objects.create_user(TEEN_EMAIL, password, full_name="Mia Harper",
                                    role=Role.CLIENT)
    ClientProfile.objects.create(user=teen, timezone=ZONE).clinicians.add(clinician)
    ClientAccess.objects.create(user=teen, visible_modules=list(practice.enabled_modules),
                                invited_at=now - timedelta(days=60),
                                accepted_at=now - timedelta(days=59))
    ConsentAcceptance.objects.create(user=teen, version=current_consent().version)
    today = now.astimezone(ZoneInfo(ZONE)).date()
    ClientAgeFacts.objects.create(client=teen, birth_date=date(today.year - 13, 1, 15)
                                  if (today.month, today.day) >= (1, 15)
                                  else date(today.year - 14, 1, 15))
    episode_ensure_open(client=teen, actor=Actor.of(clinician))
    parent = User.objects.create_user(PARENT_EMAIL, password, full_name="Dana Harper",
                                      role=Role.PROXY)
    ProxyAccount.objects.create(user=parent, timezone=ZONE)
    ProxyConsentAcceptance.objects.create(user=parent, version=PROXY_CONSENT.version)
    link = ProxyLink.objects.create(proxy=parent, client=teen, relationship="mother",
                                    tier=ProxyTier.objects.get(key="progress"),
                                    invited_by=clinician, accepted_at=now - timedelta(days=58))
    shared = Goal.objects.create(client=teen, title="Back to swimming twice a week",
                                 created_by=clinician, created_at=now - timedelta(days=50))
    Goal.objects.create(client=teen, title="Talk to one friend about how I feel",
                        created_by=clinician, created_at=now - timedelta(days=50))
    services.item_mark_set(client_id=teen.pk, kind="goals", object_id=shared.pk,
                           mark="shareable", is_on=True, actor=Actor.of(clinician))
    services.family_summary_save(client_id=teen.pk, text=SUMMARY, actor=Actor.of(clinician))
    JournalEntry.objects.create(client=teen, body=JOURNAL, created_at=now - timedelta(days=2))
    _appointments(teen, clinician, today)
    _caregiver_measure(teen, parent, link, clinician)
    services.proxy_message_send(practice=practice, link_id=link.pk, author=clinician,
                                body="Hello Dana, Mia's session next week moves to 4 pm.")
    return True


def _appointments(teen: User, clinician: User, today: date) -> None:
    kind = AppointmentType.objects.filter(mode="in_person").first()
    if kind is None:
        return
    rows = []
    for days, status in ((-7, Appointment.Status.COMPLETED), (7, Appointment.Status.BOOKED)):
        start = clinician_free_from(
            clinician.pk,
            datetime.combine(today + timedelta(days=days), time(16), tzinfo=ZoneInfo(ZONE)),
            timedelta(minutes=50))
        rows.append(Appointment(client=teen, clinician=clinician, appointment_type=kind,
                                starts_at=start, ends_at=start + timedelta(minutes=50),
                                mode=kind.mode, status=status, booked_by=clinician))
    Appointment.objects.bulk_create(rows)


def _caregiver_measure(teen: User, parent: User, link: ProxyLink, clinician: User) -> None:
    for definition in (PARENT_REPORT, SELF_REPORT):
        if not PracticeInstrument.objects.filter(key=definition["key"]).exists():
            measurement_services.practice_instrument_save(data=definition,
                                                          actor=Actor.of(clinician))
            measurement_services.practice_instrument_publish(key=definition["key"],
                                                             actor=Actor.of(clinician))
    own = measurement_services.response_start_adhoc(client=teen,
                                                    instrument_key=SELF_REPORT["key"])
    measurement_services.response_submit(client=teen, response_id=own.pk,
                                         answers={"q1": 1, "q2": 0, "q3": 1, "q4": 0})
    # Weekly, from eight days ago: Dana answered the first week; this week's waits for her.
    now = timezone.now()
    assignment = services.caregiver_assign(
        link_id=link.pk, instrument_key=PARENT_REPORT["key"], compare_with=SELF_REPORT["key"],
        actor=Actor.of(clinician),
        plan=services.CaregiverSchedule(frequency="weekly",
                                        starts_on=now.astimezone(ZoneInfo(ZONE)).date()
                                        - timedelta(days=8)))
    services.caregiver_report_submit(proxy=parent, assignment_id=assignment.pk,
                                     answers={"q1": 2, "q2": 2, "q3": 3, "q4": 2},
                                     now=now - timedelta(days=8))
