"""Words the portal shows that live as data elsewhere, marked here so `makemessages` puts them
in the catalogue; templates translate them as values (`{% translate module.label %}`).
tests/portal/test_spanish.py checks that every module label is here."""

from __future__ import annotations

from django.utils.translation import gettext_noop

# tenants.features.MODULES labels: the portal's menu.
MODULE_LABELS = (
    gettext_noop("Assessments"),
    gettext_noop("Mood check-in"),
    gettext_noop("Journal"),
    gettext_noop("Goals"),
    gettext_noop("Homework"),
    gettext_noop("Resources"),
    gettext_noop("Safety plan"),
    gettext_noop("Messages"),
    gettext_noop("Documents and forms"),
    gettext_noop("Appointments"),
    gettext_noop("Billing"),
)
