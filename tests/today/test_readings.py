"""Kept readings (practice.today.readings): Today and the caseload keep each client's headlines
and expected-path status until the client's data changes. A reading kept past a change would
show a stale "reliable deterioration" or miss a new one: these tests write through every path
(services, bulk inserts, queryset updates, deletes) and read the pages with every other
reading kept."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.appointments.models import Appointment
from practice.expected.models import Calibration
from practice.measurement import services
from practice.measurement.models import PracticeInstrument, Response
from practice.outcomes.models import ReadingStamp
from practice.outcomes.services import episode_close, episode_open
from practice.stamps import PRACTICE_ROW
from practice.today import readings
from practice.today.readings import client_readings
from tenants.actor import Actor
from tenants.models import Practice
from tests.conftest import PracticeWorld
from tests.measurement.clinic_world import give_history, prepare
from tests.measurement.test_clinic_pages import text_of
from tests.today.test_today import add_client, book

WORSE = "PHQ-9: reliable deterioration since the baseline"


def _stamp(client_id: int) -> object:
    return ReadingStamp.objects.filter(client_id=client_id).values_list("stamp", flat=True).first()


def test_every_write_to_a_clients_data_renews_their_stamp_and_no_one_elses(alpha) -> None:
    prepare(alpha)
    now = timezone.now()
    with schema_context(alpha.practice.schema_name):
        ann, ben = add_client(alpha, "Ann Able"), add_client(alpha, "Ben Baker")
        assert _stamp(ann.pk) is None  # no data, no stamp

        seen = []

        def renewed(client_id: int) -> bool:
            stamp = _stamp(client_id)
            fresh = stamp is not None and stamp not in seen
            seen.append(stamp)
            return fresh

        give_history(ann, "phq9", [10, 12], start=now - timedelta(weeks=3))  # bulk insert
        assert renewed(ann.pk) and _stamp(ben.pk) is None
        Response.objects.filter(client=ann).update(entered_in_error_at=now)  # queryset update
        assert renewed(ann.pk)
        pending = Response.objects.create(client=ann, instrument_key="gad7", definition_version=1,
                                          due_at=now)
        assert renewed(ann.pk)
        pending.delete()
        assert renewed(ann.pk)
        episode = episode_open(client=ann, actor=Actor.of(alpha.clinician))
        assert renewed(ann.pk)
        episode_close(episode_id=episode.pk, actor=Actor.of(alpha.clinician),
                      end_reason="completed")
        assert renewed(ann.pk)
        session = book(alpha, ann, now - timedelta(days=1))
        assert renewed(ann.pk)
        Appointment.objects.filter(pk=session.pk).update(status="completed")
        assert renewed(ann.pk)
        Appointment.objects.filter(pk=session.pk).delete()
        assert renewed(ann.pk)
        # One statement over two clients renews both.
        give_history(ben, "gad7", [4], start=now - timedelta(weeks=1))
        ben_before, ann_before = _stamp(ben.pk), _stamp(ann.pk)
        Response.objects.filter(client__in=[ann, ben], status="submitted").update(
            entered_in_error_at=now + timedelta(seconds=1))
        assert _stamp(ben.pk) != ben_before and _stamp(ann.pk) != ann_before

        # The practice's own row: calibrations and practice-defined instruments.
        practice_before = _stamp(PRACTICE_ROW)
        Calibration.objects.create(instrument_key="phq9", band="moderate", k=0.1, tolerance=3,
                                   episodes=40, points=300)
        after_calibration = _stamp(PRACTICE_ROW)
        assert after_calibration not in (None, practice_before)
        PracticeInstrument.objects.create(key="wellbeing", version=1, title="Wellbeing",
                                          definition={}, created_by=alpha.owner)
        assert _stamp(PRACTICE_ROW) != after_calibration


def _attention(http) -> str:
    text = text_of(http.get("/").content.decode())
    return text.split("Clients who need attention", 1)[1].split("Forms awaiting")[0]


def _submit_phq9(client, total_of_twos: int) -> Response:
    """A PHQ-9 through the real submission, `total_of_twos` items answered 2 (item 9 never)."""
    started = services.response_start_adhoc(client=client, instrument_key="phq9")
    answers = {f"q{n}": 2 if n <= total_of_twos else 0 for n in range(1, 10)}
    services.response_submit(client=client, response_id=started.pk, answers=answers)
    return Response.objects.get(pk=started.pk)


def test_a_new_score_and_its_correction_show_at_once_with_every_reading_kept(alpha) -> None:
    prepare(alpha)
    now = timezone.now()
    with schema_context(alpha.practice.schema_name):
        episode_open(client=alpha.client, actor=Actor.of(alpha.clinician),
                     started_at=now - timedelta(weeks=4))
        give_history(alpha.client, "phq9", [5, 6], start=now - timedelta(weeks=3))
        for index in range(3):  # others, whose readings stay kept throughout
            give_history(add_client(alpha, f"Kept {index}"), "phq9", [9, 8],
                         start=now - timedelta(weeks=3))
    http = alpha.http(alpha.clinician)
    assert WORSE not in _attention(http)
    with CaptureQueriesContext(connection) as kept:
        assert WORSE not in _attention(http)
        caseload = text_of(http.get("/clinic/clients/").content.decode())
    assert "PHQ-9 6 Mild" in caseload
    # Both pages read the readings' stamps, and nothing else of the readings.
    assert sum("outcomes_readingstamp" in query["sql"] for query in kept.captured_queries) == 2
    assert not any("practice_calibration" in query["sql"] or "LATERAL" in query["sql"]
                   for query in kept.captured_queries)

    with schema_context(alpha.practice.schema_name):
        worse = _submit_phq9(alpha.client, 8)  # 16: +11 since the baseline of 5
    attention = _attention(http)
    assert f"{WORSE} (+11)" in attention
    with schema_context(alpha.practice.schema_name):  # the caseload's last activity too
        assert client_readings([alpha.client.pk], practice=alpha.practice)[
            alpha.client.pk].last_response == worse.submitted_at
    assert "PHQ-9 16 Moderately severe" in text_of(http.get("/clinic/clients/").content.decode())

    with schema_context(alpha.practice.schema_name):
        services.response_mark_entered_in_error(response_id=worse.pk, reason="Wrong client",
                                                actor=Actor.of(alpha.clinician))
    assert WORSE not in _attention(http)
    assert "PHQ-9 6 Mild" in text_of(http.get("/clinic/clients/").content.decode())


def test_a_calibration_or_new_thresholds_mean_every_reading_is_worked_out_again(
        alpha) -> None:
    prepare(alpha)
    now = timezone.now()
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [14, 12], start=now - timedelta(weeks=3))
        alpha.practice.refresh_from_db()

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                client_readings([alpha.client.pk], practice=alpha.practice)
            return len(captured)

        cold = queries()
        assert queries() == 1 < cold  # kept: the stamps only
        Calibration.objects.create(instrument_key="phq9", band="moderate", k=0.1, tolerance=3,
                                   episodes=40, points=300, status="adopted")
        assert queries() == cold
        assert queries() == 1
        # The practice's own reliable-change thresholds (the Practice row, in the public schema).
        Practice.objects.filter(pk=alpha.practice.pk).update(
            reliable_change_thresholds={"who5": 10})
        alpha.practice.refresh_from_db()
        assert queries() == cold
        assert queries() == 1


def test_without_the_cache_every_reading_is_worked_out(alpha, monkeypatch) -> None:
    prepare(alpha)
    now = timezone.now()
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [5, 16], start=now - timedelta(weeks=3))
        alpha.practice.refresh_from_db()
        expected = client_readings([alpha.client.pk], practice=alpha.practice)

        class Unreachable:
            def get_many(self, keys):
                raise ConnectionError("cache down")

            def set_many(self, values, timeout=None):
                raise ConnectionError("cache down")

        monkeypatch.setattr(readings, "cache", Unreachable())
        found = client_readings([alpha.client.pk], practice=alpha.practice)
    assert found == expected
    assert found[alpha.client.pk].headlines[0].is_deteriorated


def test_a_kept_reading_is_the_reading_worked_out(alpha: PracticeWorld) -> None:
    """What is kept is plain values; read back, it is the same reading."""
    prepare(alpha)
    now = timezone.now()
    with schema_context(alpha.practice.schema_name):
        episode_open(client=alpha.client, actor=Actor.of(alpha.clinician),
                     started_at=now - timedelta(weeks=8))
        give_history(alpha.client, "phq9", [20, 17, 15, 16], start=now - timedelta(weeks=7))
        give_history(alpha.client, "gad7", [12, 6], start=now - timedelta(weeks=7))
        alpha.practice.refresh_from_db()
        first = client_readings([alpha.client.pk], practice=alpha.practice)[alpha.client.pk]
        kept = client_readings([alpha.client.pk], practice=alpha.practice)[alpha.client.pk]
    assert kept.headlines == first.headlines and len(kept.headlines) == 2
    assert first.path is not None and kept.path is not None
    assert (kept.path.status, kept.path.instrument_key) == (first.path.status,
                                                            first.path.instrument_key)


def test_closing_and_reopening_an_episode_shows_on_the_caseload_at_once(alpha) -> None:
    prepare(alpha)
    now = timezone.now()
    with schema_context(alpha.practice.schema_name):
        episode = episode_open(client=alpha.client, actor=Actor.of(alpha.clinician),
                               started_at=now - timedelta(weeks=4))
        give_history(alpha.client, "phq9", [12, 10], start=now - timedelta(weeks=3))
    http = alpha.http(alpha.clinician)

    def row() -> str:
        text = text_of(http.get("/clinic/clients/").content.decode())
        return text.split("Chris Client", 1)[1][:200]

    assert "Episode open" in row()
    assert "Episode open" in row()  # kept
    with schema_context(alpha.practice.schema_name):
        episode_close(episode_id=episode.pk, actor=Actor.of(alpha.clinician),
                      end_reason="referred_on")
    assert "Referred on" in row() and "Episode open" not in row()
    with schema_context(alpha.practice.schema_name):
        episode_open(client=alpha.client, actor=Actor.of(alpha.clinician))
    assert "Episode open" in row() and "Referred on" not in row()


def test_each_practice_reads_its_own_readings_and_its_writes_renew_only_its_own(
        alpha, beta) -> None:
    """Two practices whose clients have the same ids and look-alike scores: each page reads its
    own practice's readings, kept or not, and a write in one renews nothing in the other."""
    now = timezone.now()
    for world, totals in ((alpha, [5, 6]), (beta, [5, 16])):
        prepare(world)
        with schema_context(world.practice.schema_name):
            give_history(world.client, "phq9", totals, start=now - timedelta(weeks=3))
    assert alpha.client.pk == beta.client.pk  # the same id in each schema
    alpha_http, beta_http = alpha.http(alpha.clinician), beta.http(beta.clinician)
    for _view in range(2):  # worked out, then kept
        assert WORSE not in _attention(alpha_http)
        assert f"{WORSE} (+11)" in _attention(beta_http)
    with schema_context(alpha.practice.schema_name):
        alpha_stamp = _stamp(alpha.client.pk)
    with schema_context(beta.practice.schema_name):
        _submit_phq9(beta.client, 0)  # 0: beta's client recovers
    with schema_context(alpha.practice.schema_name):
        assert _stamp(alpha.client.pk) == alpha_stamp
    assert WORSE not in _attention(beta_http)
    assert "PHQ-9 6 Mild" in text_of(alpha_http.get("/clinic/clients/").content.decode())
