"""Completing a questionnaire through the pages: item by item with saves in between, leaving and
resuming, the check of answers, submission, the missing-item rule, the explicit skip of a risk
question, crisis help at once after a risk answer, and a submitted response that cannot change."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from practice.measurement.models import Alert, Response
from tenants.audit.models import AuditEvent
from tests.portal.helpers import PHQ9_ITEMS, assign, prepare

CRISIS_LINE = "(555) 010-2000"


def saved(world, response_id: int) -> Response:
    with schema_context(world.practice.schema_name):
        response = Response.objects.get(pk=response_id)
    connection.set_schema_to_public()
    return response


def answer_one_by_one(http, response_id: int, positions: dict[str, str]) -> None:
    """Answer the questions of `positions` on their own screens, pressing Next each time."""
    url = f"/portal/assessments/{response_id}/"
    for number, key in enumerate(PHQ9_ITEMS, start=1):
        if key not in positions:
            continue
        page = http.get(f"{url}?q={number}")
        assert page.status_code == 200
        assert f"Question {number} of 10" in page.content.decode()
        moved = http.post(url, {"layout": "one", "q": str(number), key: positions[key],
                                "action": "next"})
        assert moved.status_code == 302
        following = f"{url}?q={number + 1}" if number < 10 else f"{url}review/"
        assert moved["Location"] == following


def test_phq9_item_by_item_with_a_break_then_submitted_and_scored(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    response_id = assign(alpha)
    beta_id = assign(beta)
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"

    first = http.get(url)
    assert first.status_code == 200
    body = first.content.decode()
    assert "Question 1 of 10" in body
    assert "<fieldset" in body and "<legend>" in body
    assert body.count('type="radio" name="q1"') == 4

    answer_one_by_one(http, response_id, {"q1": "2", "q2": "2", "q3": "1"})
    assert saved(alpha, response_id).answers == {"q1": 2, "q2": 2, "q3": 1}
    assert saved(alpha, response_id).status == Response.Status.IN_PROGRESS

    # Leave on question 4 without choosing: nothing more is saved, and the home page offers
    # to continue.
    leave = http.post(url, {"layout": "one", "q": "4", "action": "later"})
    assert leave.status_code == 302
    assert leave["Location"] == "/portal/"
    home = http.get("/portal/").content.decode()
    assert f'href="/portal/assessments/{response_id}/">Continue' in home
    assert saved(alpha, response_id).answers == {"q1": 2, "q2": 2, "q3": 1}

    # Resume where they stopped; a saved answer is checked; going back keeps it.
    resumed = http.get(url).content.decode()
    assert "Question 4 of 10" in resumed
    again = http.get(f"{url}?q=2").content.decode()
    assert 'name="q2" value="2" checked' in again
    back = http.post(url, {"layout": "one", "q": "2", "action": "back"})
    assert back["Location"] == f"{url}?q=1"
    assert saved(alpha, response_id).answers == {"q1": 2, "q2": 2, "q3": 1}

    answer_one_by_one(http, response_id, {"q4": "1", "q5": "0", "q6": "1", "q7": "1", "q8": "1",
                                          "q9": "0", "q10": "1"})
    review = http.get(f"{url}review/")
    assert review.status_code == 200
    assert "You have not answered" not in review.content.decode()
    submitted = http.post(f"{url}submit/", {})
    assert submitted.status_code == 302
    assert submitted["Location"] == f"{url}result/"
    result = http.get(submitted["Location"]).content.decode()
    assert "Your PHQ-9 score is 9 (on a scale from 0 to 27)." in result
    assert "That is in the “mild” range (5 to 9)." in result
    assert "tel:988" in result  # the footer's, always there
    assert 'class="crisis-help"' not in result

    response = saved(alpha, response_id)
    assert response.status == Response.Status.SUBMITTED
    assert response.total == 9
    assert response.band_key == "mild"
    with schema_context(alpha.practice.schema_name):
        reads = list(AuditEvent.objects.filter(action__startswith="portal.")
                     .values_list("action", "object_type", "detail"))
        assert ("portal.result_viewed", "response", {}) in reads
        assert Alert.objects.count() == 0
    with schema_context(beta.practice.schema_name):
        untouched = Response.objects.get(pk=beta_id)
        assert untouched.status == Response.Status.PENDING
        assert untouched.answers == {}
    connection.set_schema_to_public()


def test_all_on_one_page_and_the_choice_is_remembered(alpha) -> None:
    prepare(alpha)
    response_id = assign(alpha)
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"
    page = http.get(f"{url}?layout=all").content.decode()
    assert page.count("<fieldset") == 10
    assert "Question 10 of 10" in page
    assert http.get(url).content.decode().count("<fieldset") == 10  # remembered
    answers = {key: "1" for key in PHQ9_ITEMS}
    submitted = http.post(url, answers | {"layout": "all", "action": "submit"})
    assert submitted["Location"] == f"{url}result/"
    assert saved(alpha, response_id).total == 9


def test_a_refused_submission_names_the_missing_questions_and_keeps_the_answers(alpha) -> None:
    prepare(alpha)
    response_id = assign(alpha)
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"
    # PHQ-9 allows two missing items; three (2, 4 and 6) are too many.
    answer_one_by_one(http, response_id, {"q1": "1", "q3": "2", "q5": "1", "q7": "0", "q8": "1",
                                          "q9": "0"})
    kept = {"q1": 1, "q3": 2, "q5": 1, "q7": 0, "q8": 1, "q9": 0}
    asked = http.post(f"{url}submit/", {})  # first the page asks: answer them, or submit?
    assert asked.status_code == 400
    assert "You have not answered these questions" in asked.content.decode()
    refused = http.post(f"{url}submit/", {"confirm_missing": "1"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "We can't score this questionnaire yet. These questions need an answer:" in body
    for number in (2, 4, 6):
        assert f"?layout=one&amp;q={number}\">Question {number}:" in body
    assert "Question 3:" not in body.split("These questions need an answer")[1].split("</ul>")[0]
    assert "Everything you have answered is saved." in body
    response = saved(alpha, response_id)
    assert response.status == Response.Status.IN_PROGRESS
    assert response.answers == kept
    assert response.total is None


def test_a_risk_question_is_never_skipped_silently(alpha) -> None:
    prepare(alpha, crisis_line=CRISIS_LINE)
    response_id = assign(alpha)
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"
    answer_one_by_one(http, response_id, {key: "0" for key in PHQ9_ITEMS[:8]})
    stopped = http.post(f"{url}submit/", {"confirm_missing": "1"})
    assert stopped.status_code == 400
    assert "Question 9 needs an answer. If you'd rather not answer it, choose " in (
        stopped.content.decode().replace("&#x27;", "'"))
    assert saved(alpha, response_id).status == Response.Status.IN_PROGRESS
    with schema_context(alpha.practice.schema_name):
        assert Alert.objects.count() == 0
    connection.set_schema_to_public()

    # Saying so explicitly: submitted, and the service flags the risk as unknown.
    answer_one_by_one(http, response_id, {"q9": "skip"})
    assert saved(alpha, response_id).answers["q9"] is None
    done = http.post(f"{url}submit/", {"confirm_missing": "1"})
    assert done["Location"] == f"{url}result/"
    result = http.get(done["Location"]).content.decode()
    assert 'class="crisis-help"' in result
    with schema_context(alpha.practice.schema_name):
        (alert,) = Alert.objects.all()
        assert alert.kind == Alert.Kind.RISK_UNKNOWN
        assert list(alert.recipients.all()) == [alpha.clinician]
    connection.set_schema_to_public()


def test_phq9_item_9_shows_crisis_help_at_once_and_tells_the_clinician(alpha, beta) -> None:
    prepare(alpha, crisis_line=CRISIS_LINE)
    prepare(beta, crisis_line="(555) 999-0000")
    response_id = assign(alpha)
    assign(beta)
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"
    answer_one_by_one(http, response_id, {key: "0" for key in PHQ9_ITEMS[:8]} | {"q9": "1"})
    # Already on the next screen, before submitting, help is offered.
    assert 'class="crisis-help"' in http.get(f"{url}?q=10").content.decode()
    done = http.post(f"{url}submit/", {})
    assert done["Location"] == f"{url}result/"
    result = http.get(done["Location"]).content.decode()
    crisis = result.split('class="crisis-help"')[1].split("</section>")[0]
    assert 'href="tel:5550102000"' in crisis
    assert f"Alpha Therapy's crisis line: {CRISIS_LINE}" in crisis
    assert 'href="tel:988"' in crisis
    assert 'href="sms:988"' in crisis
    assert 'href="tel:911"' in crisis
    assert "We have let your clinician know" in crisis
    assert result.index('class="crisis-help"') < result.index("Your PHQ-9 score is 1")
    assert "same-day risk review" not in result  # the clinician's flag text stays with them
    assert "999-0000" not in result
    with schema_context(alpha.practice.schema_name):
        (alert,) = Alert.objects.all()
        assert alert.kind == Alert.Kind.RISK_ITEM
        assert alert.severity == Alert.Severity.URGENT
        assert alert.response_id == response_id
        assert list(alert.recipients.all()) == [alpha.clinician]
    with schema_context(beta.practice.schema_name):
        assert Alert.objects.count() == 0
    connection.set_schema_to_public()


def test_a_submitted_response_cannot_be_changed_through_the_pages(alpha) -> None:
    prepare(alpha)
    response_id = assign(alpha)
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"
    http.post(url, {key: "0" for key in PHQ9_ITEMS} | {"layout": "all", "action": "submit"})
    before = saved(alpha, response_id)
    assert before.status == Response.Status.SUBMITTED

    attempts = [
        (url, {key: "3" for key in PHQ9_ITEMS} | {"layout": "all", "action": "submit"}),
        (url, {"layout": "one", "q": "1", "q1": "3", "action": "next"}),
        (url, {"layout": "all", "action": "later", "note": "changed"}),
        (f"{url}submit/", {"note": "changed", "confirm_missing": "1"}),
    ]
    for path, data in attempts:
        refused = http.post(path, data)
        assert refused.status_code == 409
        body = refused.content.decode()
        assert "This questionnaire was already submitted; it cannot be changed." in body
        assert f'href="{url}result/"' in body
    after = saved(alpha, response_id)
    assert (after.answers, after.total, after.note, after.submitted_at, after.status) == (
        before.answers, before.total, before.note, before.submitted_at, before.status)
    # Opening it again shows the result, not a form.
    assert http.get(url)["Location"] == f"{url}result/"
    assert http.get(f"{url}review/")["Location"] == f"{url}result/"


def test_a_tampered_answer_is_refused_and_nothing_is_saved(alpha) -> None:
    prepare(alpha)
    response_id = assign(alpha)
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"
    response = http.post(url, {"layout": "one", "q": "1", "q1": "7", "action": "next"})
    assert response.status_code == 400
    assert "Choose one of the answers shown." in response.content.decode()
    assert saved(alpha, response_id).answers == {}


def test_questions_the_skip_logic_leaves_out_are_passed_over(alpha, beta) -> None:
    prepare(alpha, instruments=("cssrs_screener",))
    response_id = assign(alpha, "cssrs_screener")
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"
    steps = [("1", "q1", "0", f"{url}?q=2"), ("2", "q2", "0", f"{url}?q=6"),
             ("6", "q6", "0", f"{url}review/")]
    for position, key, value, following in steps:
        moved = http.post(url, {"layout": "one", "q": position, key: value, "action": "next"})
        assert moved["Location"] == following
    assert http.post(url, {"layout": "one", "q": "6", "action": "back"})["Location"] == (
        f"{url}?q=2")
    review = http.get(f"{url}review/").content.decode()
    assert "You have not answered" not in review
    assert review.count("Not asked: it did not apply") == 4
    done = http.post(f"{url}submit/", {})
    assert done["Location"] == f"{url}result/"
    result = http.get(done["Location"]).content.decode()
    assert "Thank you. Your answers have been shared with your clinician." in result
    assert 'class="crisis-help"' not in result
    with schema_context(alpha.practice.schema_name):
        assert Alert.objects.count() == 0
    connection.set_schema_to_public()


def test_a_risk_answer_on_a_refused_submission_still_brings_help_and_an_alert(alpha) -> None:
    prepare(alpha, crisis_line=CRISIS_LINE)
    response_id = assign(alpha)
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"
    answer_one_by_one(http, response_id, {"q1": "1", "q2": "1", "q3": "1", "q4": "1", "q5": "1",
                                          "q9": "2"})
    refused = http.post(f"{url}submit/", {"confirm_missing": "1"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "These questions need an answer:" in body
    crisis = body.split('class="crisis-help"')[1].split("</section>")[0]
    assert 'href="tel:5550102000"' in crisis and 'href="sms:988"' in crisis
    assert "We have let your clinician know" in crisis
    assert saved(alpha, response_id).status == Response.Status.IN_PROGRESS
    with schema_context(alpha.practice.schema_name):
        (alert,) = Alert.objects.all()
        assert alert.kind == Alert.Kind.RISK_ITEM
        assert list(alert.recipients.all()) == [alpha.clinician]
    connection.set_schema_to_public()


def test_a_missed_questionnaire_is_closed(alpha) -> None:
    prepare(alpha)
    response_id = assign(alpha)
    with schema_context(alpha.practice.schema_name):
        Response.objects.filter(pk=response_id).update(status=Response.Status.MISSED)
    connection.set_schema_to_public()
    http = alpha.http(alpha.client)
    url = f"/portal/assessments/{response_id}/"
    assert "This questionnaire is no longer open" in http.get(url).content.decode()
    refused = http.post(url, {"layout": "one", "q": "1", "q1": "2", "action": "next"})
    assert refused.status_code == 409
    assert "This questionnaire is no longer open." in refused.content.decode()
    assert saved(alpha, response_id).answers == {}
