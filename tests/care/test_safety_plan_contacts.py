"""Safety-plan contacts are structured (name, relationship, phone), validated, and tap-to-call on
every page that shows them; plans written before that are migrated without loss, and a contact
that cannot be read keeps its text and is flagged to the clinician."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django_tenants.utils import schema_context

from practice.care.contacts import ParsedContact, PhoneError, parse_contact, phone_tel
from practice.models import SafetyPlan
from tests.care.helpers import contact_rows, page_text, prepare

MIGRATION = importlib.import_module("practice.migrations.0006_safety_plan_contacts")


@pytest.mark.parametrize(("text", "expected"), [
    ("Mom, 555-111-2222", ("Mom", "", "555-111-2222")),
    ("Mom 555-111-2222", ("Mom", "", "555-111-2222")),
    ("Mom: 555.111.2222", ("Mom", "", "555.111.2222")),
    ("Mom - 555 111 2222", ("Mom", "", "555 111 2222")),
    ("Mom (555) 111-2222", ("Mom", "", "(555) 111-2222")),
    ("Sam (sister), (555) 010-0199", ("Sam", "sister", "(555) 010-0199")),
    ("Alex, +1 555 020 0288", ("Alex", "", "+1 555 020 0288")),
    ("County crisis team, 1-800-555-0466", ("County crisis team", "", "1-800-555-0466")),
    ("555-111-2222 Mom", ("Mom", "", "555-111-2222")),
    ("Crisis line 988", ("Crisis line", "", "988")),
    ("  Dr   Rivera ,  555-030-0377 ", ("Dr Rivera", "", "555-030-0377")),
    ("Mom", None),
    ("Mom, 555", None),  # too short to be a number, and not a service number
    ("Room 101 Bob", None),
    ("5551112222", None),  # a number with no name
    ("Aunt Jo, 555 111 2222 ext 4", None),
    ("", None),
])
def test_parse_contact(text, expected) -> None:
    parsed = parse_contact(text)
    assert parsed == (ParsedContact(*expected) if expected else None)


@pytest.mark.parametrize(("phone", "tel"), [
    ("(555) 010-0199", "tel:5550100199"),
    ("+1 555 020 0288", "tel:+15550200288"),
    ("555.111.2222", "tel:5551112222"),
    ("1-800-555-0466", "tel:18005550466"),
    ("988", "tel:988"),
    ("911", "tel:911"),
    ("555 0100", "tel:5550100"),
])
def test_phone_tel(phone, tel) -> None:
    assert phone_tel(phone) == tel


@pytest.mark.parametrize(("phone", "message"), [
    ("", "Enter a phone number."),
    ("555-12", "A phone number has 7 to 15 digits, e.g. 555-010-0199 or +1 555 010 0199 (or is "
               "a service number like 988 or 911)."),
    ("1234567890123456", "A phone number has 7 to 15 digits, e.g. 555-010-0199 or "
                         "+1 555 010 0199 (or is a service number like 988 or 911)."),
    ("call 555-0100", "A phone number has only digits, spaces, brackets, dots, dashes and a "
                      "leading +."),
    ("555+0100111", "A phone number has only digits, spaces, brackets, dots, dashes and a "
                    "leading +."),
])
def test_phone_tel_refuses_with_a_clear_message(phone, message) -> None:
    with pytest.raises(PhoneError) as raised:
        phone_tel(phone)
    assert str(raised.value) == message


OLD_HELP = [{"name": "Sam (sister)", "phone": "(555) 010-0199"},
            {"name": "Mom 555-111-2222", "phone": ""},
            {"name": "The neighbour upstairs", "phone": ""},
            {"name": "Jo", "phone": "555"}]
OLD_PROFESSIONALS = [{"name": "Dr Rivera", "phone": "555-030-0377"}]
MIGRATED_HELP = [{"name": "Sam", "relationship": "sister", "phone": "(555) 010-0199"},
                 {"name": "Mom", "relationship": "", "phone": "555-111-2222"},
                 {"text": "The neighbour upstairs", "needs_review": True},
                 {"text": "Jo, 555", "needs_review": True}]
MIGRATED_PROFESSIONALS = [{"name": "Dr Rivera", "relationship": "", "phone": "555-030-0377"}]


def _old_plan(world, help_contacts, professionals) -> int:
    with schema_context(world.practice.schema_name):
        plan = SafetyPlan.objects.create(client=world.client, warning_signs=["Not sleeping"],
                                         help_contacts=help_contacts,
                                         professionals=professionals)
    connection.set_schema_to_public()
    return plan.pk


def _contacts(world) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        rows = list(SafetyPlan.objects.order_by("pk").values_list(
            "help_contacts", "professionals", "warning_signs"))
    connection.set_schema_to_public()
    return rows


def test_migration_structures_old_contacts_and_loses_nothing(alpha, beta) -> None:
    _old_plan(alpha, OLD_HELP, OLD_PROFESSIONALS)
    _old_plan(beta, OLD_HELP, OLD_PROFESSIONALS)
    with schema_context(alpha.practice.schema_name):
        MIGRATION.structure_contacts(apps, None)
    connection.set_schema_to_public()
    assert _contacts(alpha) == [(MIGRATED_HELP, MIGRATED_PROFESSIONALS, ["Not sleeping"])]
    # The migration runs schema by schema: the other practice is its own run.
    assert _contacts(beta) == [(OLD_HELP, OLD_PROFESSIONALS, ["Not sleeping"])]

    # Running it again changes nothing; running it backwards gives the old text back.
    with schema_context(alpha.practice.schema_name):
        MIGRATION.structure_contacts(apps, None)
    connection.set_schema_to_public()
    assert _contacts(alpha) == [(MIGRATED_HELP, MIGRATED_PROFESSIONALS, ["Not sleeping"])]
    with schema_context(alpha.practice.schema_name):
        MIGRATION.unstructure_contacts(apps, None)
    connection.set_schema_to_public()
    assert _contacts(alpha) == [([{"name": "Sam (sister)", "phone": "(555) 010-0199"},
                                  {"name": "Mom", "phone": "555-111-2222"},
                                  {"name": "The neighbour upstairs", "phone": ""},
                                  {"name": "Jo, 555", "phone": ""}],
                                 [{"name": "Dr Rivera", "phone": "555-030-0377"}],
                                 ["Not sleeping"])]


def test_a_flagged_contact_is_shown_to_the_clinician_and_kept_until_fixed(alpha, beta) -> None:
    care = prepare(alpha)
    prepare(beta)
    _old_plan(alpha, MIGRATED_HELP[:3], MIGRATED_PROFESSIONALS)
    _old_plan(beta, MIGRATED_HELP[:3], [])
    staff = care.http(alpha.clinician)
    url = f"/care/clients/{alpha.client.pk}/safety-plan/"
    page = page_text(staff.get(url))
    assert ("<strong>Check this contact:</strong> &ldquo;The neighbour upstairs&rdquo; could not "
            "be read as a name and a phone number") in page
    assert ('<p class="notice warn">Could not be read as a name and a phone number: '
            '&ldquo;The neighbour upstairs&rdquo;.') in page
    assert 'name="help_contacts-2-original" value="The neighbour upstairs"' in page

    # The client sees the text, with no call link made up for it.
    portal = page_text(care.http(alpha.client).get("/portal/safety-plan/"))
    assert "<li>The neighbour upstairs</li>" in portal
    assert '<a class="call" href="tel:5551112222">Call Mom: 555-111-2222</a>' in portal

    # Saved with the row left as it was, it stays flagged; fixed, it becomes a contact.
    rows = [("Sam", "sister", "(555) 010-0199"), ("Mom", "", "555-111-2222"),
            ("The neighbour upstairs", "", "")]
    form = {"warning_signs": "Not sleeping",
            **contact_rows("help_contacts", rows, initial=3),
            "help_contacts-2-original": "The neighbour upstairs",
            **contact_rows("professionals", [("Dr Rivera", "", "555-030-0377")], initial=1)}
    assert staff.post(url, form).status_code == 302
    assert _contacts(alpha)[0][0] == MIGRATED_HELP[:3]
    fixed = form | {"help_contacts-2-name": "Lee", "help_contacts-2-relationship": "neighbour",
                    "help_contacts-2-phone": "555 010 7777"}
    assert staff.post(url, fixed).status_code == 302
    assert _contacts(alpha)[0][0] == [
        *MIGRATED_HELP[:2], {"name": "Lee", "relationship": "neighbour", "phone": "555 010 7777"}]
    assert _contacts(beta) == [(MIGRATED_HELP[:3], [], ["Not sleeping"])]


@pytest.mark.parametrize(("row", "errors"), [
    (("Mom", "", ""), ["Add a phone number, so the client can tap to call."]),
    (("", "", "555-111-2222"), ["Add the person&#x27;s or the service&#x27;s name."]),
    (("Mom", "", "555-12"), ["A phone number has 7 to 15 digits, e.g. 555-010-0199 or "
                             "+1 555 010 0199 (or is a service number like 988 or 911)."]),
])
def test_a_contact_without_a_valid_phone_is_refused_and_nothing_saved(alpha, beta, row,
                                                                     errors) -> None:
    care = prepare(alpha)
    prepare(beta)
    staff = care.http(alpha.clinician)
    url = f"/care/clients/{alpha.client.pk}/safety-plan/"
    response = staff.post(url, {"warning_signs": "Not sleeping",
                                **contact_rows("help_contacts", [row]),
                                **contact_rows("professionals", [])})
    assert response.status_code == 400
    body = page_text(response)
    assert ("Check the contacts below: each needs a name and a phone number the client can tap "
            "to call.") in body
    for error in errors:
        assert error in body
    assert _contacts(alpha) == []
    assert _contacts(beta) == []
