"""Practice configuration and white-label branding (issue 3), always with a second practice."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver
from django.utils import timezone
from django_tenants.utils import schema_context

from branding.selectors import branding_for
from branding.services import BrandingChanges, branding_update
from practice.models import SafetyPlan
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.features import MODULE_KEYS, MODULES
from tenants.models import Domain, Practice
from tenants.services import ProvisioningError
from tests.conftest import PracticeWorld, make_practice

ALPHA = dict(display_name="Alpha Mind", primary_color="#0b3d91", accent_color="#7a3e00",
             crisis_line="+1 555 0100", contact_phone="555-0101")
BETA = dict(display_name="Beta Calm", primary_color="#5b2a86", accent_color="#005a32",
            crisis_line="+1 555 0200", contact_phone="555-0202")


def brand(world: PracticeWorld, **values: Any) -> None:
    with schema_context(world.practice.schema_name):
        branding_update(changes=BrandingChanges(**values),
                        actor=Actor.of(world.owner, practice=world.practice))
    connection.set_schema_to_public()


@pytest.fixture
def branded(alpha: PracticeWorld, beta: PracticeWorld) -> tuple[PracticeWorld, PracticeWorld]:
    brand(alpha, **ALPHA)
    brand(beta, **BETA)
    return alpha, beta


def assert_only(body: str, mine: dict[str, str], theirs: dict[str, str]) -> None:
    assert mine["display_name"] in body
    assert mine["primary_color"] in body
    assert theirs["display_name"] not in body
    assert theirs["primary_color"] not in body


# --- branding everywhere ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/accounts/sign-in/", "/accounts/password-reset/"])
def test_public_pages_carry_their_own_practice_branding(branded, path) -> None:
    alpha, beta = branded
    assert_only(alpha.http().get(path).content.decode(), ALPHA, BETA)
    assert_only(beta.http().get(path).content.decode(), BETA, ALPHA)


def test_signed_in_pages_carry_branding_and_crisis_line(branded) -> None:
    alpha, beta = branded
    body = alpha.http(alpha.client).get("/", follow=True).content.decode()
    assert_only(body, ALPHA, BETA)
    assert 'href="tel:+15550100"' in body
    assert 'href="tel:988"' in body


def test_manifest_is_per_practice(branded) -> None:
    alpha, beta = branded
    for world, mine in ((alpha, ALPHA), (beta, BETA)):
        response = world.http().get("/manifest.webmanifest")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/manifest+json"
        manifest = response.json()
        assert manifest["name"] == mine["display_name"]
        assert manifest["theme_color"] == mine["primary_color"]
        assert [icon["sizes"] for icon in manifest["icons"]] == ["192x192", "512x512", "512x512"]
        icon = world.http().get(manifest["icons"][0]["src"])
        assert icon.status_code == 200
        assert icon["Content-Type"] == "image/png"


def test_404_page_on_a_practice_host_is_branded(branded) -> None:
    alpha, beta = branded
    response = alpha.http().get("/no-such-page/")
    assert response.status_code == 404
    assert_only(response.content.decode(), ALPHA, BETA)


def test_500_page_on_a_practice_host_is_branded(branded) -> None:
    from controlplane.views import server_error

    alpha, beta = branded
    request = RequestFactory().get("/", HTTP_HOST=alpha.host)
    request.tenant = Practice.objects.get(pk=alpha.practice.pk)
    response = server_error(request)
    assert response.status_code == 500
    assert_only(response.content.decode(), ALPHA, BETA)


def test_password_reset_email_is_branded(branded, mailbox) -> None:
    alpha, beta = branded
    alpha.http().post("/accounts/password-reset/", {"email": alpha.client.email})
    (message,) = mailbox.messages
    assert message["From"].addresses[0].display_name == "Alpha Mind"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert_only(html, ALPHA, BETA)
    assert "Alpha Mind" in text and "Beta Calm" not in text
    assert f"http://{alpha.host}/accounts/password-reset/" in text


def test_email_sender_name_overrides_the_display_name(alpha, mailbox) -> None:
    brand(alpha, **ALPHA, email_sender_name="Alpha Mind Team")
    alpha.http().post("/accounts/password-reset/", {"email": alpha.client.email})
    (message,) = mailbox.messages
    assert message["From"].addresses[0].display_name == "Alpha Mind Team"


# --- cache ----------------------------------------------------------------------------------------

def test_branding_is_cached_per_practice_and_invalidated_on_change(branded) -> None:
    alpha, beta = branded
    branding_for(alpha.practice)
    branding_for(beta.practice)
    with CaptureQueriesContext(connection) as queries:
        assert branding_for(alpha.practice).display_name == "Alpha Mind"
        assert branding_for(beta.practice).display_name == "Beta Calm"
    assert len(queries) == 0
    brand(alpha, **{**ALPHA, "display_name": "Alpha Renamed"})
    assert branding_for(alpha.practice).display_name == "Alpha Renamed"
    assert branding_for(beta.practice).display_name == "Beta Calm"


def test_a_warm_page_costs_no_query_for_branding(branded) -> None:
    alpha, _ = branded
    http = alpha.http(alpha.owner)
    http.get("/settings/")  # warm (a branded staff page with little of its own to read)
    with CaptureQueriesContext(connection) as queries:
        response = http.get("/settings/")
    assert response.status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    assert [statement for statement in sql if '"branding_' in statement] == []
    tables = [statement.split(" FROM ")[-1].split(" ")[0] if "FROM" in statement else statement
              for statement in sql]
    assert tables[:5] == [
        'SET search_path = "public"', '"tenants_domain"',
        f'SET search_path = "{alpha.practice.schema_name}","public"',
        '"django_session"', '"accounts_user"',
    ]


def test_cache_entries_live_under_the_practice_schema(branded) -> None:
    alpha, beta = branded
    cache.clear()
    branding_for(alpha.practice)
    with schema_context(beta.practice.schema_name):
        assert cache.get(f"branding:v1:{alpha.practice.pk}") is None


# --- colours ----------------------------------------------------------------------------------

def _branding_post(**overrides: str) -> dict[str, str]:
    return {**{k: v for k, v in ALPHA.items()}, "contact_email": "", "address": "",
            "website": "", "email_sender_name": "", "welcome_text": "", **overrides}


def test_contrast_rule_at_its_boundary(alpha) -> None:
    http = alpha.http(alpha.owner)
    ok = http.post("/settings/branding/", _branding_post(primary_color="#767676"))
    assert ok.status_code == 302
    refused = http.post("/settings/branding/", _branding_post(primary_color="#777777"))
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "#777777" in body and "4.5:1" in body
    assert branding_for(alpha.practice).primary_color == "#767676"


def test_preview_renders_without_saving(alpha) -> None:
    http = alpha.http(alpha.owner)
    response = http.post("/settings/branding/",
                         _branding_post(display_name="Preview Name", preview="1"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Preview (not saved yet)" in body
    assert "Preview Name" in body
    assert branding_for(alpha.practice).display_name == "Alpha Therapy"


def test_preview_shows_the_email_a_client_gets(alpha, beta) -> None:
    """The email as the outbox sends it (notifications/email/generic): sender, subject, the
    HTML inside the sandboxed frame (escaped into srcdoc, so the attribute holds all of it) and
    the plain-text part; built from the unsaved form, for this practice only."""
    http = alpha.http(alpha.owner)
    response = http.post("/settings/branding/", _branding_post(
        display_name="Preview Name", email_sender_name="Preview Sender",
        crisis_line="555 0199", preview="1"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "<dt>From</dt><dd>Preview Sender &lt;no-reply@" in body
    assert "<dt>Subject</dt><dd>You have a new secure message</dd>" in body
    [srcdoc] = re.findall(r'<iframe title="Email preview" sandbox srcdoc="([^"]*)"></iframe>',
                          body)
    email = html.unescape(srcdoc)
    assert email.startswith("<!doctype html><html><body style=")
    assert email.rstrip().endswith("</html>")
    assert '<h1 style="font-size:20px;margin:0 0 12px">You have a new secure message</h1>' in email
    assert "<strong style=\"font-size:18px\">Preview Name</strong>" in email
    assert "If you are in crisis, call 555 0199, call or text 988, or call 911." in email
    assert 'href="http://alpha.localhost/portal/messages/"' in email.replace(":8000", "")
    [text] = re.findall(r'<pre class="email-text">(.*?)</pre>', body, re.DOTALL)
    assert html.unescape(text).startswith(
        "You have a new secure message\n\nFor your privacy, this email says no more. Sign in "
        "to see it:\n")
    assert branding_for(alpha.practice).display_name == "Alpha Therapy"
    assert branding_for(beta.practice).display_name == "Beta Counselling"


def test_branding_change_is_audited_with_old_and_new_values(alpha) -> None:
    brand(alpha, **ALPHA)
    with schema_context(alpha.practice.schema_name):
        event = AuditEvent.objects.get(action="settings.branding_changed")
    assert event.actor_id == alpha.owner.pk
    assert event.detail["display_name"] == {"from": "Alpha Therapy", "to": "Alpha Mind"}
    assert event.detail["primary_color"]["to"] == "#0b3d91"


# --- modules --------------------------------------------------------------------------------------

ROLES = ["owner", "clinician", "front_desk", "billing", "client"]


@pytest.fixture
def probe_urls(settings) -> None:
    settings.ROOT_URLCONF = "tests.branding.module_urls"


@pytest.mark.parametrize("module", [module.key for module in MODULES])
def test_a_disabled_module_answers_404_for_every_role(probe_urls, alpha, beta, module) -> None:
    remaining = [key for key in alpha.practice.enabled_modules if key != module]
    Practice.objects.filter(pk=alpha.practice.pk).update(enabled_modules=remaining)
    Practice.objects.filter(pk=beta.practice.pk).update(enabled_modules=sorted(MODULE_KEYS))
    for role in ROLES:
        alpha_response = alpha.http(getattr(alpha, role)).get(f"/module-probe/{module}/")
        beta_response = beta.http(getattr(beta, role)).get(f"/module-probe/{module}/")
        assert alpha_response.status_code == 404, role
        assert b"module page" not in alpha_response.content
        assert beta_response.status_code == 200, role
    anonymous = alpha.http().get(f"/module-probe/{module}/")
    assert anonymous.status_code == 404


def _module_namespaces(resolver, outer: tuple[str, ...] = ()) -> set[str]:
    found = set()
    for namespace, (_prefix, sub) in resolver.namespace_dict.items():
        found.add(namespace)
        found |= _module_namespaces(sub, (*outer, namespace))
    return found


def test_every_real_module_url_is_gated(alpha) -> None:
    """Namespaces in the practice URLconf are module keys or the known areas that hold them;
    a module's pages must sit under its key to be gated."""
    namespaces = _module_namespaces(get_resolver("config.urls_tenant"))
    assert namespaces <= MODULE_KEYS | {"clinic", "portal", "api", "care", "clients",
                                        "subscription", "notifications", "engagement",
                                        # outcome reports, of the assessments module
                                        "outcomes",
                                        # inside "documents": its files and its forms
                                        "files", "forms",
                                        # expected paths (gated with assessments:
                                        # AREA_MODULES), family and proxies, releases and
                                        # disclosures, a recipient's download (never behind
                                        # a module: a release in force cannot be turned off)
                                        "expected", "family", "disclosure", "shared"}


def test_expected_paths_are_gated_with_the_assessments_module(alpha) -> None:
    from config.middleware import AREA_MODULES

    assert AREA_MODULES["expected"] == "assessments"
    owner = alpha.http(alpha.owner)
    assert owner.get("/expected/").status_code == 200
    with schema_context(alpha.practice.schema_name):
        Practice.objects.filter(pk=alpha.practice.pk).update(
            enabled_modules=[key for key in alpha.practice.enabled_modules
                             if key != "assessments"])
    connection.set_schema_to_public()
    assert owner.get("/expected/").status_code == 404


def test_turning_a_module_off_and_on_keeps_everything(probe_urls, alpha) -> None:
    http = alpha.http(alpha.owner)
    everything = sorted(MODULE_KEYS)
    http.post("/settings/modules/", {"enabled": everything})
    without_journal = [key for key in everything if key != "journal"]
    assert http.post("/settings/modules/", {"enabled": without_journal}).status_code == 302
    assert http.get("/module-probe/journal/").status_code == 404
    assert http.post("/settings/modules/", {"enabled": everything}).status_code == 302
    assert http.get("/module-probe/journal/").status_code == 200
    with schema_context(alpha.practice.schema_name):
        events = list(AuditEvent.objects.filter(action="settings.enabled_modules_changed")
                      .order_by("id").values_list("detail", flat=True))
    assert events[-2]["to"] == without_journal
    assert events[-1] == {"from": without_journal, "to": everything}


def test_safety_plan_stays_on_while_a_client_has_an_active_plan(alpha, beta) -> None:
    with schema_context(alpha.practice.schema_name):
        SafetyPlan.objects.create(client=alpha.client)
    connection.set_schema_to_public()
    without = [key for key in alpha.practice.enabled_modules if key != "safety_plan"]
    response = alpha.http(alpha.owner).post("/settings/modules/", {"enabled": without})
    assert response.status_code == 400
    assert "a client has an active safety plan" in response.content.decode()
    assert "safety_plan" in Practice.objects.get(pk=alpha.practice.pk).enabled_modules
    ok = beta.http(beta.owner).post("/settings/modules/", {"enabled": without})
    assert ok.status_code == 302
    assert "safety_plan" not in Practice.objects.get(pk=beta.practice.pk).enabled_modules


def test_messaging_policy_is_validated_and_audited(alpha, beta) -> None:
    http = alpha.http(alpha.owner)
    assert http.post("/settings/messaging/", {"policy": "shout"}).status_code == 400
    assert http.post("/settings/messaging/", {"policy": "assigned_only"}).status_code == 302
    assert Practice.objects.get(pk=alpha.practice.pk).messaging_policy == "assigned_only"
    assert Practice.objects.get(pk=beta.practice.pk).messaging_policy == "reply_only"
    with schema_context(alpha.practice.schema_name):
        event = AuditEvent.objects.get(action="settings.messaging_policy_changed")
    assert event.detail == {"from": "reply_only", "to": "assigned_only"}


def test_instrument_set_is_validated_and_audited(alpha) -> None:
    http = alpha.http(alpha.owner)
    assert http.post("/settings/instruments/", {"keys": ["nonsense"]}).status_code == 400
    assert http.post("/settings/instruments/", {"keys": ["phq9", "gad7"]}).status_code == 302
    assert Practice.objects.get(pk=alpha.practice.pk).instrument_keys == ["gad7", "phq9"]


# --- subdomain rename -----------------------------------------------------------------------------

def test_rename_redirects_the_old_name_for_90_days_then_releases_it(alpha, beta) -> None:
    http = alpha.http(alpha.owner)
    assert http.post("/settings/subdomain/", {"subdomain": beta.practice.subdomain}
                     ).status_code == 400
    assert http.post("/settings/subdomain/", {"subdomain": "admin"}).status_code == 400
    response = http.post("/settings/subdomain/", {"subdomain": "alpha-new"})
    assert response.status_code == 200
    assert 'action="http://alpha-new.localhost/auth/handoff/"' in response.content.decode()

    old = Client(HTTP_HOST="alpha.localhost").get("/accounts/sign-in/?next=/x/")
    assert old.status_code == 301
    assert old["Location"] == "http://alpha-new.localhost/accounts/sign-in/?next=/x/"
    assert Client(HTTP_HOST="alpha-new.localhost").get("/accounts/sign-in/").status_code == 200

    old_domain = Domain.objects.get(domain="alpha.localhost")
    assert old_domain.redirect_until is not None
    remaining = old_domain.redirect_until - timezone.now()
    assert timedelta(days=89, hours=23) < remaining <= timedelta(days=90)

    # Someone else cannot take it while it redirects...
    with pytest.raises(ProvisioningError, match="already taken"):
        make_practice("alpha", "Copycat", emails_prefix="copy-")
    Domain.objects.filter(pk=old_domain.pk).update(
        redirect_until=timezone.now() - timedelta(seconds=1))
    assert Client(HTTP_HOST="alpha.localhost").get("/accounts/sign-in/").status_code == 404
    # ...and can once it is released.
    copycat = make_practice("alpha", "Newcomer", emails_prefix="new-")
    assert copycat.http().get("/accounts/sign-in/").status_code == 200


# --- who may change settings -------------------------------------------------------------------

SETTINGS_PAGES = ["/settings/", "/settings/branding/", "/settings/modules/",
                  "/settings/messaging/", "/settings/instruments/", "/settings/subdomain/"]


@pytest.mark.parametrize("path", SETTINGS_PAGES)
@pytest.mark.parametrize("role", ["clinician", "front_desk", "billing", "client"])
def test_only_the_owner_reaches_settings(alpha, path, role) -> None:
    http = alpha.http(getattr(alpha, role))
    assert http.get(path).status_code == 404
    before = Practice.objects.filter(pk=alpha.practice.pk).values().get()
    assert http.post(path, {"policy": "all", "subdomain": "hijack",
                            "enabled": [], "display_name": "Hijack"}).status_code == 404
    assert Practice.objects.filter(pk=alpha.practice.pk).values().get() == before


@pytest.mark.parametrize("path", SETTINGS_PAGES)
def test_settings_need_a_session_of_this_practice(alpha, beta, path) -> None:
    assert alpha.http().get(path).status_code == 302
    other = beta.http(beta.owner)
    other.defaults["HTTP_HOST"] = alpha.host
    response = other.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
    assert alpha.http(alpha.owner).get(path).status_code == 200


# --- logo ---------------------------------------------------------------------------------------

def _png(width: int, height: int, color: str = "#0b3d91") -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_logo_upload_reaches_pages_manifest_and_icons(alpha, beta, tmp_path, settings) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = str(tmp_path)
    http = alpha.http(alpha.owner)
    upload = SimpleUploadedFile("logo.png", _png(600, 200), content_type="image/png")
    response = http.post("/settings/branding/", {**_branding_post(), "logo": upload})
    assert response.status_code == 302
    branding = branding_for(alpha.practice)
    assert branding.has_logo is True
    page = http.get("/").content.decode()
    assert f'src="/branding/{branding.logo_version}/email.png"' in page
    manifest = alpha.http().get("/manifest.webmanifest").json()
    for icon in manifest["icons"]:
        image = alpha.http().get(icon["src"])
        assert image.status_code == 200
        width, height = Image.open(io.BytesIO(b"".join(image.streaming_content))).size
        assert f"{width}x{height}" == icon["sizes"]
    # Stored under alpha's schema only; beta has no logo and its old-version URL is a 404.
    assert sorted(path.name for path in tmp_path.iterdir()) == [alpha.practice.schema_name]
    assert branding_for(beta.practice).has_logo is False
    assert beta.http().get(f"/branding/{branding.logo_version + 5}/icon-192.png"
                           ).status_code == 200  # beta's initials icon, not alpha's logo


def test_a_refused_logo_says_why_and_stores_nothing(alpha, media_root) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    tmp_path = media_root
    upload = SimpleUploadedFile("logo.png", b"not an image at all", content_type="image/png")
    response = alpha.http(alpha.owner).post("/settings/branding/",
                                            {**_branding_post(), "logo": upload})
    assert response.status_code == 400
    assert "PNG, JPEG or SVG" in response.content.decode()
    assert list(tmp_path.iterdir()) == []
    assert branding_for(alpha.practice).has_logo is False


def test_an_svg_logo_is_sanitised_before_it_is_stored(alpha, media_root) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    tmp_path = media_root
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40" onload="alert(1)">'
           b'<script>alert(2)</script><rect width="100" height="40" fill="#0b3d91"/></svg>')
    upload = SimpleUploadedFile("logo.svg", svg, content_type="image/svg+xml")
    response = alpha.http(alpha.owner).post("/settings/branding/",
                                            {**_branding_post(), "logo": upload})
    assert response.status_code == 302
    (stored,) = tmp_path.glob("*/branding/v*/logo.svg")
    content = stored.read_bytes()
    assert b"<script" not in content and b"onload" not in content
    assert b"<rect" in content


def test_practice_sets_reliable_change_where_none_is_published(alpha) -> None:
    http = alpha.http(alpha.owner)
    response = http.post("/settings/instruments/", {"keys": ["k10", "phq9"], "rc_k10": "5"})
    assert response.status_code == 302
    practice = Practice.objects.get(pk=alpha.practice.pk)
    assert practice.reliable_change_thresholds == {"k10": 5.0}
    page = http.get("/settings/instruments/").content.decode()
    assert 'name="rc_k10"' in page
    assert 'name="rc_phq9"' not in page  # PHQ-9 has a published value (6)
    assert http.post("/settings/instruments/", {"keys": ["k10"], "rc_k10": "0"}
                     ).status_code == 400
    assert Practice.objects.get(pk=alpha.practice.pk).reliable_change_thresholds == {"k10": 5.0}
