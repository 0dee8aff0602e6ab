"""A care module the practice turns off answers 404 on every one of its pages, staff and client,
for every role, while the other practice (which keeps it on) is unaffected; it leaves the menus;
nothing is deleted, and turning it back on brings everything back."""

from __future__ import annotations

import pytest

from tests.care.helpers import NO_CONTACTS, page_text, prepare, turn_off
from tests.care.world import MARKER, CareIds, fill, snapshot


def module_requests(ids: CareIds) -> dict[str, list[tuple[str, str, dict]]]:
    client = ids.client
    return {
        "goals": [("get", f"/care/clients/{client}/goals/", {}),
                  ("post", f"/care/goals/{ids.goal}/progress/", {"note": "x"}),
                  ("get", "/portal/goals/", {}),
                  ("post", f"/portal/goals/{ids.goal}/progress/", {"note": "x"})],
        "homework": [("get", f"/care/clients/{client}/homework/", {}),
                     ("get", "/care/homework/", {}),
                     ("post", f"/care/homework/{ids.homework}/end/", {}),
                     ("get", "/portal/homework/", {}),
                     ("post", f"/portal/homework/{ids.homework}/done/", {})],
        "journal": [("get", f"/care/clients/{client}/journal/", {}),
                    ("get", "/portal/journal/", {}),
                    ("post", "/portal/journal/", {"body": "x", "sharing": "shared"})],
        "resources": [("get", "/care/resources/", {}),
                      ("get", f"/care/clients/{client}/resources/", {}),
                      ("get", "/portal/resources/", {}),
                      ("get", f"/portal/resources/{ids.resource}/", {})],
        "safety_plan": [("get", f"/care/clients/{client}/safety-plan/", {}),
                        ("post", f"/care/clients/{client}/safety-plan/",
                         {"warning_signs": "x", **NO_CONTACTS}),
                        ("get", "/portal/safety-plan/", {}),
                        ("post", "/portal/safety-plan/add/", {"section": "coping",
                                                              "text": "x"})],
    }


MENU_LINKS = {"goals": '<a href="/portal/goals/">Goals</a>',
              "homework": '<a href="/portal/homework/">Homework</a>',
              "journal": '<a href="/portal/journal/">Journal</a>',
              "resources": '<a href="/portal/resources/">Resources</a>',
              "safety_plan": 'href="/portal/safety-plan/"'}


@pytest.mark.parametrize("module", ["goals", "homework", "journal", "resources", "safety_plan"])
def test_module_off_answers_404_for_everyone_and_only_there(alpha, beta, module) -> None:
    care, beta_care = prepare(alpha), prepare(beta)
    ids = fill(care)
    beta_ids = fill(beta_care)
    assert ids == beta_ids
    home = page_text(care.http(alpha.client).get("/portal/"))
    assert MENU_LINKS[module] in home

    turn_off(alpha, module)
    before = snapshot(care)
    requests = module_requests(ids)[module]
    for who, user in care.people().items():
        if who == "anonymous":
            continue
        http = care.http(user)
        for method, path, data in requests:
            response = getattr(http, method)(path, data)
            assert response.status_code == 404, (who, path)
            assert MARKER not in response.content.decode(), (who, path)
    assert snapshot(care) == before

    # Beta keeps the module: its care team and its client still get in.
    for user in (beta.clinician, beta.client):
        http = beta_care.http(user)
        allowed = [(method, path) for method, path, _ in requests if method == "get"
                   and path.startswith("/portal/" if user == beta.client else "/care/")]
        assert allowed
        for _method, path in allowed:
            assert http.get(path).status_code == 200, path

    home = care.http(alpha.client).get("/portal/")
    assert home.status_code == 200
    assert MENU_LINKS[module] not in page_text(home)
    assert care.http(alpha.client).get("/portal/help/").status_code == 200

    turn_on = list(alpha.practice.enabled_modules) + [module]
    from tenants.models import Practice
    Practice.objects.filter(pk=alpha.practice.pk).update(enabled_modules=turn_on)
    assert care.http(alpha.client).get(
        [path for method, path, _ in requests if path.startswith("/portal/")][0]
    ).status_code == 200


def test_staff_reach_the_care_pages_from_the_clinic_and_the_menu(alpha, beta) -> None:
    care = prepare(alpha)
    prepare(beta)
    client_id = alpha.client.pk
    links = {"goals": f'<a href="/care/clients/{client_id}/goals/">Goals</a>',
             "journal": f'<a href="/care/clients/{client_id}/journal/">Journal</a>',
             "safety_plan": f'<a href="/care/clients/{client_id}/safety-plan/">Safety plan</a>'}
    page = page_text(care.http(alpha.clinician).get(f"/clinic/clients/{client_id}/"))
    for link in links.values():
        assert link in page
    assert '<a href="/care/homework/">Homework</a>' in page
    assert '<a href="/care/resources/">Resources</a>' in page
    turn_off(alpha, "journal")
    turn_off(alpha, "resources")
    page = page_text(care.http(alpha.clinician).get(f"/clinic/clients/{client_id}/"))
    assert links["journal"] not in page
    assert links["goals"] in page
    assert '<a href="/care/resources/">Resources</a>' not in page
    desk = page_text(care.http(alpha.front_desk).get("/"))
    assert "/care/" not in desk
