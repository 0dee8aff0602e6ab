"""Expected paths on the pages: the client's chart shows the range (practice setting AND the
clinician's switch) in plain words, never the clinician's wording, in English and Spanish; the
clinician's caseload, Today, client page and review show the status with its words; the
clinical support answers are saved and shown; the owner fits and adopts a practice curve; the
API; another practice's episodes never enter a calibration."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from portal.models import ClientAccess
from practice.expected import selectors, services
from practice.expected.models import Calibration, PathSettings, SupportAnswers
from practice.measurement.models import Alert, Response
from practice.outcomes.models import Episode
from tenants.actor import Actor
from tests.engagement.helpers import inside, score
from tests.portal.helpers import prepare

PROGRESS = "/portal/assessments/progress/"
CLINICIAN_WORDS = ("not on track", "deterioration", "watch", "expected path", "floor rule")


def worsening(world, *, weeks=(6, 7)):
    """The world's client: an open episode with a PHQ-9 baseline of 8 ten weeks ago and 10 at
    each of `weeks` (not on track from week 6)."""
    prepare(world)
    now = timezone.now()
    began = now - timedelta(weeks=10)
    with inside(world):
        access = ClientAccess.objects.filter(user=world.client).first()
        if access is None:
            ClientAccess.objects.create(user=world.client, visible_modules=["assessments"],
                                        invited_at=now - timedelta(days=400),
                                        accepted_at=now - timedelta(days=400))
        else:
            ClientAccess.objects.filter(pk=access.pk).update(
                accepted_at=now - timedelta(days=400), revoked_at=None)
        Episode.objects.filter(client=world.client).delete()
        Episode.objects.create(client=world.client, clinician=world.clinician,
                               started_at=began - timedelta(hours=1))
        score(world.client, "phq9", 8, began)
        for week in weeks:
            score(world.client, "phq9", 10, began + timedelta(weeks=week))
    return began


def show_to_client(world, *, practice=True, client=True):
    with inside(world):
        PathSettings.objects.create(is_shown_to_clients=practice)
        services.client_path_share(client_id=world.client.pk, is_shown=client,
                                   actor=Actor.of(world.clinician))


def test_the_client_sees_the_range_in_plain_words_never_the_clinicians(alpha) -> None:
    worsening(alpha)
    http = alpha.http(alpha.client)
    # Off by default: no range.
    body = http.get(PROGRESS).content.decode()
    assert "expected-range" not in body
    assert "most people who start where you started" not in body
    show_to_client(alpha)
    body = http.get(PROGRESS).content.decode()
    assert body.count('class="expected-range"') == 1
    assert ("The shaded blue area is the range where most people who start where you started "
            "are by now.") in body
    assert ("Your latest score is outside this range. This is worth talking about with your "
            "clinician at your next session.") in body
    lowered = body.lower()
    assert [words for words in CLINICIAN_WORDS if words in lowered] == []
    with inside(alpha):
        ClientAccess.objects.filter(user=alpha.client).update(language="es")
    spanish = alpha.http(alpha.client).get(PROGRESS,
                                           HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es">' in spanish
    assert ("El área azul sombreada es el rango en el que está ahora la mayoría de las "
            "personas que empezaron donde usted empezó.") in spanish
    assert ("Su puntaje más reciente está fuera de este rango. Vale la pena hablarlo con su "
            "profesional clínico en su próxima sesión.") in spanish
    assert [words for words in (*CLINICIAN_WORDS, "no va bien", "deterioro")
            if words in spanish.lower()] == []


def test_the_charts_label_the_paths_axis_week_or_session_in_english_and_spanish(alpha) -> None:
    """Without held sessions the range is read by week; once the client has held sessions in
    the episode, by session: both charts say which (the client's in their language)."""
    from tests.expected.test_rule import hold_sessions

    began = worsening(alpha)
    show_to_client(alpha)
    clinician, client = alpha.http(alpha.clinician), alpha.http(alpha.client)
    chart_page = f"/clinic/clients/{alpha.client.pk}/"
    staff = clinician.get(chart_page).content.decode()
    assert 'fill="#1f4e79">Week</text>' in staff
    assert "Session</text>" not in staff
    assert "Not on track</span>\n week 7, expected range" in staff
    assert staff.count('class="expected-tick"') == 8  # weeks 0 to 7
    assert 'fill="#1f4e79">Week</text>' in client.get(PROGRESS).content.decode()
    with inside(alpha):
        # Sessions held two hours after the baseline's moment, weekly: 7 before the latest
        # score (week 7); a no-show is none.
        hold_sessions(alpha, alpha.client, [began + timedelta(hours=2, weeks=week)
                                            for week in range(7)])
        hold_sessions(alpha, alpha.client, [began + timedelta(hours=3, weeks=6)], "no_show")
    staff = clinician.get(chart_page).content.decode()
    assert 'fill="#1f4e79">Session</text>' in staff
    assert "Week</text>" not in staff
    assert "Not on track</span>\n session 7, expected range" in staff
    # Sessions 0 to 7, but 1 (two hours after the baseline) would print over 0: skipped.
    assert staff.count('class="expected-tick"') == 7
    assert '>0</text><text class="expected-tick"' in staff
    assert "by sessions since the baseline" in staff
    english = client.get(PROGRESS).content.decode()
    assert 'fill="#1f4e79">Session</text>' in english
    assert "The shaded range is read by sessions held since the first score." in english
    assert [words for words in CLINICIAN_WORDS if words in english.lower()] == []
    with inside(alpha):
        ClientAccess.objects.filter(user=alpha.client).update(language="es")
    spanish = alpha.http(alpha.client).get(PROGRESS, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'fill="#1f4e79">Sesión</text>' in spanish
    assert "El rango sombreado se lee por sesiones realizadas desde el primer puntaje." in spanish
    assert [words for words in (*CLINICIAN_WORDS, "no va bien", "deterioro")
            if words in spanish.lower()] == []
    [path] = clinician.get(f"/api/v1/clients/{alpha.client.pk}/expected-paths").json()["paths"]
    assert (path["scale"], path["time"], path["weeks"], path["model"]["scale"]) == (
        "sessions", 7.0, 7.0, "sessions")


def test_the_practice_setting_and_the_clinicians_switch_are_both_needed(alpha) -> None:
    worsening(alpha)
    show_to_client(alpha, practice=False, client=True)
    assert "expected-range" not in alpha.http(alpha.client).get(PROGRESS).content.decode()
    with inside(alpha):
        PathSettings.objects.update(is_shown_to_clients=True)
        services.client_path_share(client_id=alpha.client.pk, is_shown=False,
                                   actor=Actor.of(alpha.clinician))
    assert "expected-range" not in alpha.http(alpha.client).get(PROGRESS).content.decode()


def test_the_clinician_sees_the_status_and_answers_the_support_questions(alpha, beta) -> None:
    began = worsening(alpha)
    worsening(beta)
    with inside(alpha):
        from practice.engagement.services import engagement_evaluate

        engagement_evaluate(practice=alpha.practice,
                            now=began + timedelta(weeks=7, hours=1))
        alert = Alert.objects.get(kind=Alert.Kind.NOT_ON_TRACK)
    http = alpha.http(alpha.clinician)
    caseload = http.get("/clinic/clients/").content.decode()
    assert 'data-colour="red">Not on track</span>' in caseload
    client_page = http.get(f"/clinic/clients/{alpha.client.pk}/").content.decode()
    assert 'class="expected-range"' in client_page
    assert 'data-colour="red">Not on track</span>' in client_page
    support = f"/expected/alerts/{alert.pk}/support/"
    assert http.get(support).status_code == 200
    answers = {f"{key}_answer": "no_concern" for key in
               ("alliance", "motivation", "social_support", "medication", "risk")}
    refused = http.post(support, answers)  # life events unanswered
    assert refused.status_code == 400
    with inside(alpha):
        assert SupportAnswers.objects.count() == 0
    answers.update({"life_events_answer": "concern", "life_events_note": "Lost their job"})
    assert http.post(support, answers).status_code == 302
    with inside(alpha):
        saved = SupportAnswers.objects.get()
        assert (saved.alert_id, saved.answers["life_events"], saved.answered_by_id) == (
            alert.pk, {"answer": "concern", "note": "Lost their job"}, alpha.clinician.pk)
    review = http.get(f"/clinic/clients/{alpha.client.pk}/review/").content.decode()
    assert "Life events: has something happened" in review
    assert "A concern: Lost their job" in review
    # The branded PDF of the progress report carries the path and the answers too.
    from tests.formbuilder.helpers import pdf_text

    pdf = http.get(f"/outcomes/clients/{alpha.client.pk}/progress/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(pdf.content).split())
    assert "Expected path (the default path" in text and "Status: Not on track." in text
    assert "Clinical support questions" in text and "Lost their job" in text
    # Another practice's clinician: the same 404 as a missing alert.
    assert beta.http(beta.clinician).get(support).status_code == 404


def _closed_episodes(world, count, *, k, seed):
    """`count` closed episodes of new clients, each a moderate PHQ-9 baseline and 12 weekly
    scores on the curve k, with noise."""
    from tests.engagement.helpers import portal_client

    rng = random.Random(seed)
    start = timezone.now() - timedelta(weeks=30)
    rows = []
    with inside(world):
        for _ in range(count):
            client = portal_client(world)
            Episode.objects.create(client=client, clinician=world.clinician,
                                   started_at=start - timedelta(hours=1),
                                   ended_at=start + timedelta(weeks=13),
                                   end_reason=Episode.EndReason.COMPLETED)
            baseline = rng.randint(10, 14)
            for week in range(13):
                truth = baseline * (1 - k * math.log1p(week)) if week else baseline
                rows.append(Response(
                    client=client, instrument_key="phq9", definition_version=1,
                    status=Response.Status.SUBMITTED, answers={},
                    submitted_at=start + timedelta(weeks=week), is_scored=True,
                    total=Decimal(str(round(truth + (rng.gauss(0, 1) if week else 0), 2))),
                    scorer="sum", scorer_version="1"))
        Response.objects.bulk_create(rows)


def test_calibration_uses_only_this_practices_episodes(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    _closed_episodes(alpha, 50, k=0.3, seed=1)
    _closed_episodes(beta, 60, k=0.1, seed=2)
    http = alpha.http(alpha.owner)
    assert http.post("/expected/phq9/calibrate/").status_code == 302
    with inside(alpha):
        [fit] = Calibration.objects.all()
        # Only alpha's 50 episodes (beta's 60, on another curve, never enter).
        assert (fit.band, fit.episodes, fit.points, fit.status) == ("moderate", 50, 600,
                                                                     "proposed")
        assert abs(fit.k - 0.3) <= 0.01
    page = http.get("/expected/").content.decode()
    assert "from <strong>50 episodes</strong>" in page
    assert 'class="practice-path"' in page and 'class="default-path"' in page
    assert http.post(f"/expected/calibrations/{fit.pk}/adopt/").status_code == 302
    with inside(alpha):
        fit.refresh_from_db()
        model = selectors.path_models()["phq9"]
        assert (fit.status, model.stratum_for(12).version, model.stratum_for(12).k) == (
            "adopted", f"practice-{fit.pk}", fit.k)
    with inside(beta):
        assert Calibration.objects.count() == 0
        assert selectors.path_models()["phq9"].stratum_for(12).version == "tandem-default-2"
        # Below the minimum: beta's 60 episodes are fitted with 50 needed, not with 61.
        assert services.calibration_run(instrument_key="phq9", actor=Actor.SYSTEM,
                                        minimum_episodes=61) == []
    # A clinician may not calibrate.
    assert alpha.http(alpha.clinician).post("/expected/phq9/calibrate/").status_code == 404


def test_api_paths_and_support(alpha, beta) -> None:
    began = worsening(alpha)
    with inside(alpha):
        from practice.engagement.services import engagement_evaluate

        engagement_evaluate(practice=alpha.practice, now=began + timedelta(weeks=7, hours=1))
        alert = Alert.objects.get(kind=Alert.Kind.NOT_ON_TRACK)
    http = alpha.http(alpha.clinician)
    data = http.get(f"/api/v1/clients/{alpha.client.pk}/expected-paths").json()
    [path] = data["paths"]
    assert (path["instrument_key"], path["status"], path["colour"], path["words"],
            path["model"]["version"], data["is_shown_to_client"]) == (
        "phq9", "not_on_track", "red", "Not on track", "tandem-default-2", False)
    answers = {key: {"answer": "no_concern"} for key in
               ("alliance", "motivation", "social_support", "life_events", "medication",
                "risk")}
    response = http.put(f"/api/v1/alerts/{alert.pk}/support", {"answers": answers},
                        content_type="application/json")
    assert response.status_code == 200
    assert response.json()["answers"]["risk"] == {"answer": "no_concern", "note": ""}
    assert beta.http(beta.clinician).get(
        f"/api/v1/clients/{alpha.client.pk}/expected-paths").status_code == 404


def test_reports_count_episodes_ever_not_on_track_and_recovered(alpha) -> None:
    prepare(alpha)
    from tests.engagement.helpers import portal_client

    start = timezone.now() - timedelta(weeks=20)
    with inside(alpha):
        made = []
        # (scores by week, alerted during the episode): recovered, still off, never alerted.
        for weekly, alerted in (({0: 8, 6: 10, 12: 4}, True), ({0: 8, 6: 10, 12: 10}, True),
                                ({0: 8, 12: 4}, False)):
            client = portal_client(alpha)
            episode = Episode.objects.create(
                client=client, clinician=alpha.clinician, started_at=start - timedelta(hours=1),
                ended_at=start + timedelta(weeks=13), end_reason=Episode.EndReason.COMPLETED)
            for week, total in weekly.items():
                score(client, "phq9", total, start + timedelta(weeks=week))
            if alerted:
                Alert.objects.create(client=client, kind=Alert.Kind.NOT_ON_TRACK,
                                     severity="routine", summary="PHQ-9: not on track",
                                     dedupe_key=f"not_on_track:{client.pk}:phq9",
                                     created_at=start + timedelta(weeks=6, hours=1),
                                     condition_cleared_at=start + timedelta(weeks=12))
            made.append(episode)
        [figures] = selectors.path_figures(made)
        assert (figures.instrument_key, figures.episodes, figures.ever_not_on_track.count,
                figures.recovered.count, figures.recovered.denominator) == ("phq9", 3, 2, 1, 2)
    body = alpha.http(alpha.owner).get("/outcomes/reports/").content.decode()
    assert "<td>2 of 3 (fewer than 5 episodes: no rate)</td>" in body
    assert "<td>1 of 2 (fewer than 5 episodes: no rate)</td>" in body
