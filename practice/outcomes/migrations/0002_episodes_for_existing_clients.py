"""Every existing client gets one open episode, from their first submitted response (or, with
none, from when they were added), so no history falls outside an episode."""

from django.db import migrations
from django.db.models import Min


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Episode = apps.get_model("outcomes", "Episode")
    Response = apps.get_model("practice", "Response")
    Assignment = apps.get_model("practice", "Assignment")
    ClientProfile = apps.get_model("practice", "ClientProfile")
    first_response = dict(Response.objects.filter(submitted_at__isnull=False)
                          .values_list("client_id").annotate(first=Min("submitted_at"))
                          .order_by())
    first_created = dict(Response.objects.values_list("client_id")
                         .annotate(first=Min("created_at")).order_by())
    profiles = {profile.user_id: profile for profile in ClientProfile.objects.all()}
    keys: dict[int, set[str]] = {}
    for client_id, key in Response.objects.values_list("client_id", "instrument_key").distinct():
        keys.setdefault(client_id, set()).add(key)
    for client_id, key in (Assignment.objects.filter(ended_at__isnull=True)
                           .values_list("client_id", "instrument_key").distinct()):
        keys.setdefault(client_id, set()).add(key)
    with_episode = set(Episode.objects.values_list("client_id", flat=True))
    episodes = []
    for client in User.objects.filter(role="client").exclude(pk__in=with_episode):
        profile = profiles.get(client.pk)
        candidates = [moment for moment in (
            first_response.get(client.pk), first_created.get(client.pk),
            profile.created_at if profile else None, client.date_joined) if moment]
        started_at = (first_response.get(client.pk)
                      or min(candidates))
        # Nothing submitted may fall before the episode's start.
        clinician = (profile.clinicians.filter(role="clinician").order_by("pk").first()
                     if profile else None)
        episodes.append(Episode(client_id=client.pk, clinician=clinician,
                                started_at=started_at, created_at=started_at,
                                instrument_keys=sorted(keys.get(client.pk, set()))))
    Episode.objects.bulk_create(episodes)


class Migration(migrations.Migration):

    dependencies = [
        ("outcomes", "0001_initial"),
        ("practice", "0006_safety_plan_contacts"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
