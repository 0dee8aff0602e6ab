"""Emails are case-insensitive everywhere: signing in (staff, clients, operators), the lockout
key, password reset, invitations and uniqueness (a unique index on lower(email))."""

from __future__ import annotations

import importlib

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django_tenants.utils import schema_context

from practice.models import ClientProfile, StaffInvitation
from tenants.accounts.models import EMAIL_TAKEN, Role, User
from tenants.audit.models import AuditEvent
from tenants.services import platform_user_create
from tests.conftest import PASSWORD, PracticeWorld

IP = "203.0.113.9"
WRONG = "not-the-password-42"
MIGRATION = importlib.import_module("tenants.accounts.migrations.0002_email_case_insensitive")


def browser(host: str) -> Client:
    return Client(HTTP_HOST=host, REMOTE_ADDR=IP)


def sign_in(http: Client, email: str, password: str = PASSWORD):
    return http.post("/accounts/sign-in/", {"username": email, "password": password})


def signed_in_ids(world: PracticeWorld) -> list[str]:
    with schema_context(world.practice.schema_name):
        return [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]


def emails(world: PracticeWorld) -> list[str]:
    with schema_context(world.practice.schema_name):
        return list(User.objects.order_by("email").values_list("email", flat=True))


def test_staff_and_clients_sign_in_whatever_the_case_of_their_email(alpha, beta):
    owner = sign_in(browser(alpha.host), "Owner@Example.org")
    client = sign_in(browser(alpha.host), "  CLIENT@example.ORG ")

    assert (owner.status_code, owner["Location"]) == (302, "/")
    assert client.status_code == 302
    assert sorted(signed_in_ids(alpha)) == sorted([str(alpha.owner.pk), str(alpha.client.pk)])
    assert signed_in_ids(beta) == []


def test_an_operator_signs_in_on_the_control_plane_whatever_the_case(operator, alpha):
    http = browser(settings.PLATFORM_DOMAIN)

    response = sign_in(http, "OPS@Tandem.Test")

    assert response.status_code == 302
    with schema_context("public"):
        [session] = Session.objects.all()
        assert session.get_decoded()["_auth_user_id"] == str(operator.pk)
    assert signed_in_ids(alpha) == []


def test_failures_in_any_case_count_against_one_account(alpha, beta):
    assert settings.AXES_FAILURE_LIMIT == 5
    http = browser(alpha.host)

    statuses = [sign_in(http, email, WRONG).status_code for email in (
        "Owner@Example.org", "OWNER@EXAMPLE.ORG", "owner@example.org", "oWnEr@example.org",
        "OWNER@example.org")]
    locked = sign_in(http, "Owner@example.ORG", PASSWORD)

    # The attempt that reaches the limit is already answered with the lockout page.
    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert signed_in_ids(alpha) == []
    with schema_context(alpha.practice.schema_name):
        assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
            ("owner@example.org", 6)]  # every attempt, the refused right one included
    assert sign_in(browser(beta.host), "owner@example.org").status_code == 302


def test_a_password_reset_for_a_differently_cased_email_reaches_the_account(alpha, beta,
                                                                            mailbox):
    response = browser(alpha.host).post("/accounts/password-reset/",
                                        {"email": "OWNER@Example.Org"})

    assert response.status_code == 302
    [message] = mailbox.messages
    assert message["To"] == "owner@example.org"
    assert message["From"].addresses[0].display_name == "Alpha Therapy"
    with schema_context(alpha.practice.schema_name):
        assert list(AuditEvent.objects.filter(action="auth.password_reset_requested")
                    .values_list("actor_id", flat=True)) == [alpha.owner.pk]


def test_inviting_an_existing_email_in_another_case_is_refused_with_a_message(
        alpha, beta, mailbox):
    before = emails(alpha)
    with schema_context(alpha.practice.schema_name):
        profiles = ClientProfile.objects.count()
    staff = alpha.http(alpha.owner).post("/staff/invite/", {
        "full_name": "Owen Again", "email": "OWNER@example.org", "role": "clinician"})
    client = alpha.http(alpha.owner).post("/clients/invite/", {
        "full_name": "Chris Again", "email": "Client@Example.org", "modules": []})

    assert staff.status_code == 400
    assert ("Someone with this email already has an account in this practice."
            in staff.content.decode())
    assert client.status_code == 400
    assert ("Someone with this email already has an account in this practice."
            in client.content.decode())
    assert emails(alpha) == before
    with schema_context(alpha.practice.schema_name):
        assert StaffInvitation.objects.count() == 0
        assert ClientProfile.objects.count() == profiles
    assert mailbox.messages == []
    assert emails(beta) == before


def test_the_database_refuses_a_second_account_differing_only_in_case(alpha, beta):
    with schema_context(alpha.practice.schema_name):
        twin = User(email="OWNER@example.org", full_name="Twin", role=Role.CLINICIAN)
        twin.set_password(PASSWORD)
        with pytest.raises(ValidationError) as refused:
            twin.full_clean()
        assert refused.value.message_dict == {"email": [EMAIL_TAKEN]}
        with pytest.raises(IntegrityError), transaction.atomic():
            twin.save()
        assert User.objects.with_email("OWNER@EXAMPLE.ORG").get() == alpha.owner
    with schema_context(beta.practice.schema_name):
        assert User.objects.with_email("owner@example.org").get().pk == beta.owner.pk


def test_a_platform_account_in_another_case_is_refused(operator):
    with pytest.raises(ValueError) as refused:
        platform_user_create(email="Ops@Tandem.test", password=PASSWORD, full_name="Twin",
                             role=Role.OPERATOR)
    assert str(refused.value) == EMAIL_TAKEN
    with schema_context("public"):
        assert list(User.objects.values_list("email", flat=True)) == ["ops@tandem.test"]


def _without_the_index(world: PracticeWorld) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX accounts_user_email_ci_unique")


def test_the_migration_lower_cases_emails_and_stops_on_a_clash(alpha, beta):
    """Run the migration's data step again in alpha, as it met old data: mixed-case emails are
    lower-cased; two accounts differing only in case stop it with their ids, changing nothing."""
    with schema_context(alpha.practice.schema_name):
        _without_the_index(alpha)
        User.objects.filter(pk=alpha.clinician.pk).update(email="Clinician@Example.ORG")
        twin = User.objects.create(email="OWNER@example.org", full_name="Twin",
                                   role=Role.CLINICIAN)
        editor = connection.schema_editor()

        with pytest.raises(RuntimeError) as stopped:
            MIGRATION.lower_case_emails(None, editor)
        assert str(stopped.value) == (
            f"Schema {alpha.practice.schema_name}: 1 email address(es) belong to more than one "
            f"account, differing only in upper/lower case (account ids, one group per address: "
            f"{alpha.owner.pk}, {twin.pk}). Emails are now case-insensitive. Change the email of "
            "all but one account in each group, then migrate again. Nothing was changed.")
        assert User.objects.get(pk=alpha.clinician.pk).email == "Clinician@Example.ORG"

        User.objects.filter(pk=twin.pk).update(email="owner.twin@example.org")
        MIGRATION.lower_case_emails(None, editor)
        assert User.objects.get(pk=alpha.clinician.pk).email == "clinician@example.org"
        assert User.objects.get(pk=twin.pk).email == "owner.twin@example.org"
    with schema_context(beta.practice.schema_name):
        assert User.objects.get(pk=beta.clinician.pk).email == "clinician@example.org"
