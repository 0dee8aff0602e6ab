"""Modules outside the plan: their pages and API answer 404 even while the practice has them on
(the module gate asks the practice's settings and the plan), they leave the menus, and the owner
cannot turn one on. Nothing in them is deleted: on a bigger plan they are back."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from billing.entitlements import module_in_use, plan_allows_module
from billing.plans import CORE_MODULES, PLAN_GATED_MODULES, plan
from config.context_processors import platform
from tenants.features import MODULE_KEYS, MODULES
from tenants.models import Practice
from tests.conftest import PracticeWorld

pytestmark = pytest.mark.django_db

ROLES = ["owner", "clinician", "front_desk", "billing", "client"]


@pytest.fixture
def probe_urls(settings) -> None:
    """One page per module under the module's namespace (the branding tests' URLconf)."""
    settings.ROOT_URLCONF = "tests.branding.module_urls"


def set_practice(world: PracticeWorld, *, plan_key: str, modules: list[str]) -> Practice:
    Practice.objects.filter(pk=world.practice.pk).update(plan_key=plan_key,
                                                         enabled_modules=modules)
    world.practice.refresh_from_db()
    return world.practice


def test_plan_allows_module_follows_the_catalogue(alpha: PracticeWorld) -> None:
    solo = set_practice(alpha, plan_key="solo", modules=sorted(MODULE_KEYS))
    assert {key for key in MODULE_KEYS if plan_allows_module(solo, key)} == (
        CORE_MODULES | {"messaging"})
    assert {key for key in MODULE_KEYS if not module_in_use(solo, key)} == {
        "documents", "booking", "billing"}
    group = set_practice(alpha, plan_key="group", modules=["assessments", "documents"])
    assert module_in_use(group, "documents") is True
    assert module_in_use(group, "booking") is False  # in the plan, but switched off
    assert plan_allows_module(group, "booking") is True


@pytest.mark.parametrize("module", sorted(MODULE_KEYS))
def test_a_module_outside_the_plan_answers_404_and_inside_200(
    probe_urls, alpha: PracticeWorld, beta: PracticeWorld, module: str
) -> None:
    set_practice(alpha, plan_key="solo", modules=sorted(MODULE_KEYS))
    set_practice(beta, plan_key="program", modules=sorted(MODULE_KEYS))
    expected = 200 if module in plan("solo").modules else 404
    for role in ROLES:
        alpha_response = alpha.http(getattr(alpha, role)).get(f"/module-probe/{module}/")
        assert alpha_response.status_code == expected, role
        assert (b"module page" in alpha_response.content) is (expected == 200)
        assert beta.http(getattr(beta, role)).get(
            f"/module-probe/{module}/").status_code == 200, role


def test_a_trial_gets_every_module(probe_urls, alpha: PracticeWorld) -> None:
    set_practice(alpha, plan_key="", modules=sorted(MODULE_KEYS))
    for module in sorted(MODULE_KEYS):
        assert alpha.http(alpha.owner).get(f"/module-probe/{module}/").status_code == 200


def test_upgrading_brings_the_module_back(probe_urls, alpha: PracticeWorld) -> None:
    set_practice(alpha, plan_key="solo", modules=sorted(MODULE_KEYS))
    http = alpha.http(alpha.clinician)
    assert http.get("/module-probe/documents/").status_code == 404
    set_practice(alpha, plan_key="group", modules=sorted(MODULE_KEYS))
    assert http.get("/module-probe/documents/").status_code == 200
    assert http.get("/module-probe/billing/").status_code == 404


def test_real_module_pages_are_gated_by_the_plan(alpha: PracticeWorld) -> None:
    """A core module's real page still answers on the smallest plan."""
    set_practice(alpha, plan_key="solo", modules=sorted(MODULE_KEYS))
    assert alpha.http(alpha.client).get("/portal/assessments/").status_code == 200


def test_menus_leave_out_modules_outside_the_plan(alpha: PracticeWorld) -> None:
    set_practice(alpha, plan_key="solo", modules=sorted(MODULE_KEYS))
    request = RequestFactory().get("/")
    request.tenant = alpha.practice
    request.user = alpha.client
    menu_keys = {module.key for module in platform(request)["menu_modules"]}
    with_client_pages = {module.key for module in MODULES if module.client_url}
    assert menu_keys == with_client_pages & plan("solo").modules
    assert not menu_keys & (PLAN_GATED_MODULES - plan("solo").modules)


# --- the owner's module settings ----------------------------------------------------------------

def test_turning_on_a_module_outside_the_plan_is_refused(alpha: PracticeWorld,
                                                         beta: PracticeWorld) -> None:
    start = ["assessments", "documents", "messaging"]
    set_practice(alpha, plan_key="solo", modules=start)
    set_practice(beta, plan_key="group", modules=start)
    http = alpha.http(alpha.owner)

    response = http.post("/settings/modules/", {"enabled": [*start, "booking", "billing"]})

    assert response.status_code == 400
    assert ("Appointments and Billing are not included in your Solo plan. Upgrade the plan on the "
            "billing page (/billing/) to turn them on.") in response.content.decode()
    alpha.practice.refresh_from_db()
    assert alpha.practice.enabled_modules == start
    # Beta, on a bigger plan, turns booking on.
    assert beta.http(beta.owner).post(
        "/settings/modules/", {"enabled": [*start, "booking"]}).status_code == 302
    beta.practice.refresh_from_db()
    assert beta.practice.enabled_modules == sorted([*start, "booking"])


def test_a_module_already_on_stays_on_after_a_downgrade(alpha: PracticeWorld) -> None:
    """Documents came on during the trial; on Solo it is gated but saving the settings neither
    refuses nor deletes it, and turning it off is allowed."""
    start = ["assessments", "documents", "messaging"]
    set_practice(alpha, plan_key="solo", modules=start)
    http = alpha.http(alpha.owner)

    assert http.post("/settings/modules/",
                     {"enabled": [*start, "journal"]}).status_code == 302
    alpha.practice.refresh_from_db()
    assert alpha.practice.enabled_modules == sorted([*start, "journal"])
    assert http.post("/settings/modules/",
                     {"enabled": ["assessments", "journal"]}).status_code == 302
    alpha.practice.refresh_from_db()
    assert alpha.practice.enabled_modules == ["assessments", "journal"]
    response = http.post("/settings/modules/", {"enabled": ["assessments", "documents"]})
    assert response.status_code == 400
    assert "Documents and forms is not included in your Solo plan." in response.content.decode()


def test_the_trial_may_turn_on_every_module(alpha: PracticeWorld) -> None:
    set_practice(alpha, plan_key="", modules=["assessments"])
    response = alpha.http(alpha.owner).post("/settings/modules/",
                                            {"enabled": sorted(MODULE_KEYS)})
    assert response.status_code == 302
    alpha.practice.refresh_from_db()
    assert alpha.practice.enabled_modules == sorted(MODULE_KEYS)


def test_only_the_owner_reaches_the_module_settings(alpha: PracticeWorld) -> None:
    set_practice(alpha, plan_key="solo", modules=["assessments"])
    for role in ("clinician", "front_desk", "billing", "client"):
        response = alpha.http(getattr(alpha, role)).post("/settings/modules/",
                                                         {"enabled": ["booking"]})
        assert response.status_code == 404, role
    alpha.practice.refresh_from_db()
    assert alpha.practice.enabled_modules == ["assessments"]
