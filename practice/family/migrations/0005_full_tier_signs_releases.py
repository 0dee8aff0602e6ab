"""The default "full" tier (for young children) also signs releases of information for the
child. Only a "full" tier still as seeded (0002) gains it: a tier the practice edited stays as
the practice left it."""

from django.db import migrations

SEEDED_FULL = ["appointments", "forms", "invoices", "messages", "progress", "goals", "homework",
               "documents", "resources", "safety_plan"]
WITH_RELEASES = [*SEEDED_FULL, "releases"]


def add_releases(apps, schema_editor):
    ProxyTier = apps.get_model("family", "ProxyTier")
    for tier in ProxyTier.objects.filter(key="full"):
        if sorted(tier.kinds) == sorted(SEEDED_FULL):
            tier.kinds = WITH_RELEASES
            tier.save(update_fields=["kinds"])


def remove_releases(apps, schema_editor):
    ProxyTier = apps.get_model("family", "ProxyTier")
    for tier in ProxyTier.objects.filter(key="full"):
        if "releases" in tier.kinds:
            tier.kinds = [kind for kind in tier.kinds if kind != "releases"]
            tier.save(update_fields=["kinds"])


class Migration(migrations.Migration):
    dependencies = [("family", "0004_caregiver_schedule")]
    operations = [migrations.RunPython(add_releases, remove_releases)]
