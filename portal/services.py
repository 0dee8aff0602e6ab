"""Writes the client's portal makes that are more than one measurement service call."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from portal.models import ClientAccess
from practice.engagement.services import alert_raise
from practice.measurement import services
from practice.measurement.models import Alert
from practice.measurement.services import SubmitOutcome
from practice.models import ClientProfile
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record

MOOD_KEY = "mood"


@transaction.atomic
def mood_checkin_submit(*, client: User, mood: int, note: str = "",
                        meta: RequestMeta | None = None) -> SubmitOutcome:
    """A daily mood check-in: started and submitted together, so a failure leaves nothing half
    done. `mood` is the rating 0 to 10 (the option position equals the points)."""
    response = services.response_start_adhoc(client=client, instrument_key=MOOD_KEY)
    return services.response_submit(client=client, response_id=response.pk,
                                     answers={"mood": mood}, note=note, meta=meta)


@dataclass(frozen=True)
class ClientSettings:
    full_name: str
    preferred_name: str
    pronouns: str
    timezone: str
    language: str
    notifications: dict[str, dict[str, bool]]


@transaction.atomic
def client_settings_update(*, client: User, values: ClientSettings,
                           meta: RequestMeta | None = None) -> ClientAccess:
    """The client's own settings. The audit names the fields that changed, never their values."""
    if not client.is_client:
        raise PermissionError("Only clients have portal settings.")
    user = User.objects.select_for_update().get(pk=client.pk)
    access, _ = ClientAccess.objects.select_for_update().get_or_create(user=user)
    profile, _ = ClientProfile.objects.select_for_update().get_or_create(user=user)
    changed = []
    for obj, field, value in [
        (user, "full_name", values.full_name.strip()),
        (access, "preferred_name", values.preferred_name.strip()),
        (access, "pronouns", values.pronouns.strip()),
        (profile, "timezone", values.timezone),
        (access, "language", values.language),
        (access, "notifications", values.notifications),
    ]:
        if getattr(obj, field) != value:
            setattr(obj, field, value)
            changed.append(field)
    user.save(update_fields=["full_name"])
    access.save()
    profile.save(update_fields=["timezone"])
    if changed:
        audit_record(action=Action.PORTAL_SETTINGS_CHANGED, actor=user, object_type="user",
                     object_id=user.pk, meta=meta, detail={"fields": changed})
    return access


# --- "ask my clinician to contact me urgently" -------------------------------------------------

# A fixed line for the clinician's inbox: the request, never anything the client wrote.
URGENT_CONTACT_SUMMARY = "Asked through the portal to be contacted urgently"


@dataclass(frozen=True)
class UrgentContactOutcome:
    alert: Alert
    created: bool  # False: a request still waiting was found, nothing new was raised


def urgent_contact_open(client: User) -> Alert | None:
    """The client's request still waiting for someone to pick it up, if any."""
    return (Alert.objects.filter(client=client, kind=Alert.Kind.URGENT_CONTACT,
                                 status=Alert.Status.OPEN)
            .order_by("-created_at", "-pk").first())


@transaction.atomic
def urgent_contact_request(*, actor: Actor) -> UrgentContactOutcome:
    """The client asks their clinician to contact them urgently: an urgent alert for their
    clinicians (the owners when they have none), raised through the alert engine, which writes
    the recipients, a notification to each and the audit row in this same transaction. One
    request waits at a time: pressing again while one is open raises nothing more (the client
    is told when it was sent); once a clinician has acknowledged it, a new press is a new
    request."""
    if not (actor.person.is_active and actor.person.is_client):
        raise PermissionError("Only a client asks to be contacted.")
    # Two presses at once (a double tap, two devices) queue here, so only one alert is raised.
    client = User.objects.select_for_update().get(pk=actor.person.pk)
    waiting = urgent_contact_open(client)
    if waiting is not None:
        return UrgentContactOutcome(alert=waiting, created=False)
    alert, _created = alert_raise(client=client, kind=Alert.Kind.URGENT_CONTACT,
                                  severity=Alert.Severity.URGENT,
                                  summary=URGENT_CONTACT_SUMMARY, actor=Actor.of(client,
                                                                                 meta=actor.meta))
    return UrgentContactOutcome(alert=alert, created=True)
