"""Safety-plan contacts become structured: {"name", "relationship", "phone"} with a phone that is
always tap-to-call. An old entry ("Mom 555-111-2222" typed without the comma was kept as a name
with no phone) is read again with the parser; one that cannot be read keeps its whole text and
is flagged for the clinician ({"text", "needs_review": true}). Nothing is lost either way."""

from django.db import migrations

from practice.care.contacts import migrate_contact

SECTIONS = ("help_contacts", "professionals")


def structure_contacts(apps, schema_editor):
    SafetyPlan = apps.get_model("practice", "SafetyPlan")
    for plan in SafetyPlan.objects.all().iterator():
        changed = []
        for section in SECTIONS:
            items = getattr(plan, section) or []
            migrated = [migrate_contact(item) for item in items if isinstance(item, dict)]
            if migrated != items:
                setattr(plan, section, migrated)
                changed.append(section)
        if changed:
            plan.save(update_fields=changed)


def unstructure_contacts(apps, schema_editor):
    """Back to {"name", "phone"}: the relationship returns to the name in brackets and a flagged
    entry's text becomes the name, as the old pages showed it."""
    SafetyPlan = apps.get_model("practice", "SafetyPlan")
    for plan in SafetyPlan.objects.all().iterator():
        for section in SECTIONS:
            old = []
            for item in getattr(plan, section) or []:
                if item.get("needs_review"):
                    old.append({"name": item.get("text", ""), "phone": ""})
                    continue
                name = item.get("name", "")
                if item.get("relationship"):
                    name = f"{name} ({item['relationship']})"
                old.append({"name": name, "phone": item.get("phone", "")})
            setattr(plan, section, old)
        plan.save(update_fields=list(SECTIONS))


class Migration(migrations.Migration):
    dependencies = [("practice", "0005_engagement")]

    operations = [migrations.RunPython(structure_contacts, unstructure_contacts)]
