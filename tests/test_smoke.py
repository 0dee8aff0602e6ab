from django_tenants.utils import schema_context

from tenants.accounts.models import User


def test_two_practices_have_look_alike_people(alpha, beta):
    with schema_context(alpha.practice.schema_name):
        alpha_emails = sorted(User.objects.values_list("email", flat=True))
    with schema_context(beta.practice.schema_name):
        beta_emails = sorted(User.objects.values_list("email", flat=True))
    assert alpha_emails == beta_emails
    assert alpha.client.pk == beta.client.pk


def test_home_requires_sign_in(alpha):
    response = alpha.http().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
