"""Demo releases, so `make run` shows sharing: the demo client signed a release to a
psychiatrist (PHQ-9 and GAD-7 scores and goals, for a medication review) and the demo clinician
sent one progress report under it, so the ledger and the accounting have a row. The practice is
not a Part 2 program (README: how to turn it on). Idempotent: nothing is added once a release
exists."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from branding.selectors import branding_for
from practice.disclosure import packages, services
from practice.disclosure.models import Release
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.models import Practice

DEMO_CLIENT = "client@demo.localhost"
DEMO_CLINICIAN = "clinician@demo.localhost"


def seed(practice: Practice) -> None:
    """Call inside the practice's schema."""
    if Release.objects.exists():
        return
    client = User.objects.filter(email=DEMO_CLIENT).first()
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    if client is None or clinician is None:
        return
    release = services.release_create(
        client_id=client.pk, practice_name=practice.name, actor=Actor.of(clinician),
        draft=services.ReleaseDraft(
            recipient_name="Dr. Anita Shah", recipient_organisation="Lakeside Psychiatry",
            recipient_email="anita.shah@lakeside.example", recipient_phone="(555) 010-4455",
            purpose="Medication review", kinds=["scores", "goals"],
            instrument_keys=["gad7", "phq9"],
            expires_on=timezone.localdate() + timedelta(days=365)))
    services.release_sign(release_id=release.pk, typed_name=client.full_name, consent=True,
                          actor=Actor.of(client))
    branding = branding_for(practice)
    services.disclose(
        release_id=release.pk, package_kind="progress_report", actor=Actor.of(clinician),
        context=packages.Context(branding=branding, base_url=branding.base_url,
                                 now=timezone.now(), zone=ZoneInfo("America/New_York"),
                                 generated_by=clinician.full_name))
