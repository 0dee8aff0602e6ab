"""The three default tiers every practice starts with (the practice edits them)."""

from django.db import migrations

LOGISTICS = ["appointments", "forms", "invoices", "messages"]
PROGRESS = [*LOGISTICS, "progress", "goals"]
FULL = [*PROGRESS, "homework", "documents", "resources", "safety_plan"]
TIERS = [("logistics", "Logistics", LOGISTICS), ("progress", "Progress", PROGRESS),
         ("full", "Full", FULL)]


def seed(apps, schema_editor):
    ProxyTier = apps.get_model("family", "ProxyTier")
    for position, (key, name, kinds) in enumerate(TIERS):
        ProxyTier.objects.get_or_create(key=key, defaults={"name": name, "kinds": kinds,
                                                           "position": position})


class Migration(migrations.Migration):
    dependencies = [("family", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
