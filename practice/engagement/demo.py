"""Demo engagement: the demo clients use the portal (access accepted, recent sign-ins but for
one who has drifted away), Riley is asked to keep a journal and has not written for nine days,
and the rules have run once, so the clinician's inbox shows what the engine raises. Idempotent:
nothing is done once journaling has been assigned to anyone."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.models import ClientAccess
from practice.engagement import services
from practice.engagement.models import JournalingAssignment
from tenants.accounts.models import User
from tenants.models import Practice

DEMO_CLINICIAN = "clinician@demo.localhost"
# Client email -> days since their last sign-in.
LAST_SIGN_IN = {
    "client@demo.localhost": 1,
    "taylor@demo.localhost": 19,
    "sam.lee@demo.localhost": 2,
    "riley@demo.localhost": 3,
}
JOURNALING_CLIENT = "riley@demo.localhost"


@transaction.atomic
def seed(practice: Practice) -> bool:
    """Seed inside the practice's schema; False when there was nothing to do."""
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    if clinician is None or JournalingAssignment.objects.exists():
        return False
    now = timezone.now()
    for email, days in LAST_SIGN_IN.items():
        client = User.objects.filter(email=email).first()
        if client is None:
            continue
        access, _ = ClientAccess.objects.get_or_create(
            user=client, defaults={"visible_modules": list(practice.enabled_modules)})
        if access.accepted_at is None:
            access.invited_at = access.invited_at or now - timedelta(days=200)
            access.accepted_at = now - timedelta(days=199)
            access.save(update_fields=["invited_at", "accepted_at"])
        User.objects.filter(pk=client.pk).update(last_login=now - timedelta(days=days))
    riley = User.objects.filter(email=JOURNALING_CLIENT).first()
    if riley is not None:
        JournalingAssignment.objects.create(client=riley, assigned_by=clinician,
                                            assigned_at=now - timedelta(days=9))
    services.engagement_evaluate(practice=practice, now=now)
    return True
