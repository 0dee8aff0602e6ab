"""The demo's forms and invoices: a signed intake whose seal holds, a consent waiting, two
invoices shared with the demo client (one paid) and the billing module on; seeding twice adds
nothing."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from practice.formbuilder import demo as forms_demo
from practice.formbuilder import seal
from practice.formbuilder.models import FormAssignment
from practice.invoices import demo as invoices_demo
from practice.invoices.models import Invoice
from tenants.accounts.models import Role, User
from tenants.models import Practice
from tests.conftest import PASSWORD


def test_demo_forms_and_invoices(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        client = User.objects.create_user("client@demo.localhost", PASSWORD,
                                          full_name="Jordan Rivera", role=Role.CLIENT)
        User.objects.create_user("clinician@demo.localhost", PASSWORD,
                                 full_name="Dr. Maya Ellison", role=Role.CLINICIAN)
        for _ in range(2):
            practice = Practice.objects.get(pk=alpha.practice.pk)
            forms_demo.seed(practice)
            invoices_demo.seed(practice)
        forms = {row.title: row for row in FormAssignment.objects.select_related(
            "version", "signature")}
        assert {title: row.status for title, row in forms.items()} == {
            "New client intake": "signed", "Consent to telehealth sessions": "requested"}
        signature = forms["New client intake"].signature
        assert signature.has_drawing is True
        assert seal.seal_check(signature).matches is True
        assert sorted(Invoice.objects.filter(client=client).values_list("number", "status")) \
            == [(1, "paid"), (2, "shared")]
    connection.set_schema_to_public()
    assert "billing" in Practice.objects.get(pk=alpha.practice.pk).enabled_modules
