"""Password reset by email on a practice's host, through a real SMTP server: sent in the
practice's name, a link on its host that works once and expires, rate limited, audited."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django_tenants.utils import schema_context

from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld

NEW_PASSWORD = "a-brand-new-passphrase-77"
LINK = re.compile(r"http://[^\s\"<>]+/accounts/password-reset/[^\s\"<>/]+/[^\s\"<>/]+/")
BASE_SETTINGS = Path(settings.BASE_DIR) / "config" / "settings" / "base.py"


def browser(world: PracticeWorld, ip: str = "198.51.100.4") -> Client:
    return Client(HTTP_HOST=world.host, REMOTE_ADDR=ip, HTTP_USER_AGENT="TandemTest/1.0 (reset)")


def request_reset(http: Client, email: str):
    return http.post("/accounts/password-reset/", {"email": email})


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def the_link(message: EmailMessage) -> str:
    links = LINK.findall(text_of(message))
    assert len(links) == 1
    assert LINK.findall(html_of(message)) == links
    return links[0]


def reset_events(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        return list(
            AuditEvent.objects.filter(action__startswith="auth.password_reset").order_by("id")
            .values_list("action", "actor_id", "actor_role", "detail")
        )


def password_works(world: PracticeWorld, user: User, password: str) -> bool:
    with schema_context(world.practice.schema_name):
        return User.objects.get(pk=user.pk).check_password(password)


def choose_password(http: Client, link: str, password: str = NEW_PASSWORD):
    """Open the link (Django moves the token into the session) and save a new password."""
    opened = http.get(urlsplit(link).path)
    assert opened.status_code == 302
    form_path = opened["Location"]
    assert form_path.endswith("/set-password/")
    assert "Choose a new password" in http.get(form_path).content.decode()
    return http.post(form_path, {"new_password1": password, "new_password2": password})


def test_reset_email_is_sent_in_the_practice_name_with_a_link_on_its_host(alpha, beta, mailbox):
    response = request_reset(browser(alpha), "owner@example.org")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == "owner@example.org"
    assert message["From"].addresses[0].display_name == "Alpha Therapy"
    assert message["From"].addresses[0].addr_spec == settings.PLATFORM_EMAIL_ADDRESS
    assert message["Subject"] == "Reset your Alpha Therapy password"
    link = urlsplit(the_link(message))
    assert link.netloc == alpha.host
    assert link.path.startswith("/accounts/password-reset/")
    for body in (text_of(message), html_of(message)):
        assert "Alpha Therapy" in body
        # No PHI beyond the link: not the person's name, not their address.
        assert alpha.owner.full_name not in body
        assert "Olivia" not in body
        assert "owner@example.org" not in body
        assert "Beta Counselling" not in body
    assert reset_events(alpha) == [("auth.password_reset_requested", alpha.owner.pk, "owner", {})]
    assert reset_events(beta) == []


def test_the_link_sets_a_new_password_once(alpha, beta, mailbox):
    assert request_reset(browser(alpha), "owner@example.org").status_code == 302
    link = the_link(mailbox.messages[0])

    # The same uid exists in beta (look-alike ids) but alpha's token means nothing there.
    on_beta = browser(beta).get(urlsplit(link).path)
    assert on_beta.status_code == 200
    assert "This link no longer works" in on_beta.content.decode()

    saved = choose_password(browser(alpha), link)

    assert saved.status_code == 302
    assert saved["Location"] == "/accounts/password-reset/done/"
    assert password_works(alpha, alpha.owner, NEW_PASSWORD)
    assert not password_works(alpha, alpha.owner, PASSWORD)
    signed_in = browser(alpha).post("/accounts/sign-in/",
                                    {"username": "owner@example.org", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert [event[:3] for event in reset_events(alpha)] == [
        ("auth.password_reset_requested", alpha.owner.pk, "owner"),
        ("auth.password_reset_completed", alpha.owner.pk, "owner"),
    ]

    # Second use: the token was bound to the old password, so it no longer checks.
    again = browser(alpha).get(urlsplit(link).path)
    assert again.status_code == 200
    body = again.content.decode()
    assert "<h1>This link no longer works</h1>" in body
    assert "Save password" not in body

    assert password_works(beta, beta.owner, PASSWORD)
    assert not password_works(beta, beta.owner, NEW_PASSWORD)
    assert reset_events(beta) == []


def test_the_link_expires_after_the_reset_timeout(alpha, beta, mailbox, monkeypatch):
    assert settings.PASSWORD_RESET_TIMEOUT == 60 * 60  # the emails promise an hour
    assert request_reset(browser(alpha), "owner@example.org").status_code == 302
    link = urlsplit(the_link(mailbox.messages[0])).path
    real_now = default_token_generator._now

    def later(seconds: int) -> None:
        monkeypatch.setattr(default_token_generator, "_now",
                            lambda: real_now() + timedelta(seconds=seconds))

    later(settings.PASSWORD_RESET_TIMEOUT - 60)
    assert browser(alpha).get(link).status_code == 302  # still valid a minute before

    http = browser(alpha)
    later(0)
    opened = http.get(link)
    assert opened.status_code == 302  # the token now sits in this browser's session
    later(settings.PASSWORD_RESET_TIMEOUT + 1)
    expired = browser(alpha).get(link)
    assert expired.status_code == 200
    assert "<h1>This link no longer works</h1>" in expired.content.decode()
    # Even the browser that opened it in time cannot save once it expired.
    late_save = http.post(opened["Location"],
                          {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert late_save.status_code == 200
    assert "<h1>This link no longer works</h1>" in late_save.content.decode()
    assert password_works(alpha, alpha.owner, PASSWORD)
    assert [event[0] for event in reset_events(alpha)] == ["auth.password_reset_requested"]
    assert password_works(beta, beta.owner, PASSWORD)


def test_an_unknown_email_gets_the_same_page_and_no_email(alpha, beta, mailbox):
    with schema_context(beta.practice.schema_name):
        User.objects.create_user("only-beta@example.org", PASSWORD, full_name="Bea Only",
                                 role=Role.CLINICIAN)
    http = browser(alpha)

    known = request_reset(http, "owner@example.org")
    mailbox.clear()
    unknown = request_reset(http, "nobody@example.org")
    other_practice = request_reset(http, "only-beta@example.org")

    for response in (unknown, other_practice):
        assert response.status_code == known.status_code == 302
        assert response["Location"] == known["Location"] == "/accounts/password-reset/sent/"
    assert mailbox.messages == []
    page = http.get("/accounts/password-reset/sent/").content.decode()
    assert "<h1>Check your email</h1>" in page
    # Unknown addresses are audited without an actor, and the address is not kept.
    assert reset_events(alpha) == [
        ("auth.password_reset_requested", alpha.owner.pk, "owner", {}),
        ("auth.password_reset_requested", None, "", {}),
        ("auth.password_reset_requested", None, "", {}),
    ]
    with schema_context(alpha.practice.schema_name):
        stored = [str(row) for row in AuditEvent.objects.values_list()]
    assert not any("nobody@" in row or "only-beta@" in row for row in stored)
    assert reset_events(beta) == []


def test_reset_requests_are_rate_limited_per_address_and_per_sender(alpha, beta, mailbox):
    assert settings.PASSWORD_RESET_RATE == "5/h"
    http = browser(alpha, ip="198.51.100.4")

    statuses = [request_reset(http, "owner@example.org").status_code for _ in range(5)]
    same_address_elsewhere = request_reset(browser(alpha, ip="198.51.100.99"),
                                           "owner@example.org")
    same_sender_other_address = request_reset(http, "clinician@example.org")

    assert statuses == [302] * 5
    for limited in (same_address_elsewhere, same_sender_other_address):
        assert limited.status_code == 429
        body = limited.content.decode()
        assert ("Too many password reset requests came from here. Please wait an hour and try "
                "again, or contact your practice.") in body
        assert "Alpha Therapy" in body
    assert len(mailbox.messages) == 5
    assert mailbox.to("clinician@example.org") == []
    assert [event[0] for event in reset_events(alpha)] == ["auth.password_reset_requested"] * 5

    # Beta's buckets are its own: the same address from the same sender is served there.
    assert request_reset(browser(beta, ip="198.51.100.4"), "owner@example.org").status_code == 302
    assert len(mailbox.messages) == 6
    assert mailbox.messages[-1]["From"].addresses[0].display_name == "Beta Counselling"


def _base_password_hashers() -> list[str]:
    tree = ast.parse(BASE_SETTINGS.read_text())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", None) == "PASSWORD_HASHERS"):
            return ast.literal_eval(node.value)
    raise AssertionError("PASSWORD_HASHERS is not set in base settings")


def test_argon2_hashes_passwords_outside_the_test_settings():
    hashers = _base_password_hashers()
    assert hashers[0] == "config.hashers.OwaspArgon2PasswordHasher"
    # Only the test settings swap in a fast hasher; production and local inherit base's.
    for name in ("production.py", "local.py"):
        assert "PASSWORD_HASHERS" not in (BASE_SETTINGS.parent / name).read_text()


def test_a_reset_password_is_stored_with_argon2(alpha, beta, mailbox, settings):
    with schema_context(beta.practice.schema_name):
        beta_hash = User.objects.get(pk=beta.owner.pk).password
    settings.PASSWORD_HASHERS = _base_password_hashers()
    assert request_reset(browser(alpha), "owner@example.org").status_code == 302

    assert choose_password(browser(alpha), the_link(mailbox.messages[0])).status_code == 302

    with schema_context(alpha.practice.schema_name):
        stored = User.objects.get(pk=alpha.owner.pk).password
    assert identify_hasher(stored).algorithm == "argon2"
    assert stored.startswith("argon2$argon2id$")
    assert password_works(alpha, alpha.owner, NEW_PASSWORD)
    with schema_context(beta.practice.schema_name):
        assert User.objects.get(pk=beta.owner.pk).password == beta_hash
