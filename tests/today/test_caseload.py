"""The caseload table: search, filters (clinician, instrument, band, change since baseline,
reliable change, last activity, engagement, episode), sort and pages; a bad filter value is an
inline error and the table still shows; the query count does not grow with clients or history;
another practice's clients never show."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.measurement.models import Alert
from practice.outcomes.services import episode_close, episode_open
from tenants.actor import Actor
from tenants.models import Practice
from tests.conftest import PracticeWorld
from tests.measurement.clinic_world import forget_readings, give_history, prepare
from tests.measurement.test_clinic_pages import text_of
from tests.today.test_today import add_client


def names(html: str) -> list[str]:
    """The client names in the table, in order."""
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', body)


def build(world: PracticeWorld, marker: str) -> None:
    prepare(world)
    now = timezone.now()
    start = now - timedelta(weeks=12)
    with schema_context(world.practice.schema_name):
        give_history(world.client, "phq9", [20, 14, 8], start=start)  # improved by 12
        worse = add_client(world, f"Wendy Worse {marker}")
        give_history(worse, "phq9", [5, 9, 15], start=start)  # deteriorated by 10
        flat = add_client(world, f"Fred Flat {marker}")
        give_history(flat, "gad7", [10, 10], start=start)
        quiet = add_client(world, f"Quinn Quiet {marker}")
        Alert.objects.create(client=quiet, kind=Alert.Kind.NO_SIGN_IN,
                             severity=Alert.Severity.ROUTINE,
                             summary="Not signed in for 21 days", dedupe_key=f"ns:{quiet.pk}")
        closed = episode_open(client=flat, actor=Actor.of(world.clinician),
                              started_at=start - timedelta(days=1))
        episode_close(episode_id=closed.pk, actor=Actor.of(world.clinician),
                      end_reason="completed")
        episode_open(client=worse, actor=Actor.of(world.clinician),
                     started_at=start - timedelta(days=1))


def test_filters_sort_and_search(alpha, beta) -> None:
    build(alpha, "A")
    build(beta, "B")
    http = alpha.http(alpha.clinician)

    def listed(query: str) -> list[str]:
        response = http.get(f"/clinic/clients/?{query}")
        assert response.status_code == 200
        return names(response.content.decode())

    assert listed("") == ["Chris Client", "Fred Flat A", "Quinn Quiet A", "Wendy Worse A"]
    assert listed("reliable=deterioration") == ["Wendy Worse A"]
    assert listed("reliable=improvement") == ["Chris Client"]
    assert listed("change=same") == ["Fred Flat A"]
    assert listed("change=worse&instrument=phq9") == ["Wendy Worse A"]
    assert listed("instrument=gad7") == ["Fred Flat A"]
    assert listed("band=Mild") == ["Chris Client"]
    assert listed("engagement=drifting") == ["Quinn Quiet A"]
    assert listed("episode=open") == ["Wendy Worse A"]
    assert listed("episode=closed") == ["Fred Flat A"]
    assert listed("episode=none") == ["Chris Client", "Quinn Quiet A"]
    assert listed("activity=never") == ["Quinn Quiet A"]
    assert listed("q=wendy") == ["Wendy Worse A"]
    assert listed("sort=change&instrument=phq9") == ["Chris Client", "Wendy Worse A"]
    assert listed("sort=change&instrument=phq9&order=desc") == ["Wendy Worse A", "Chris Client"]
    assert listed("sort=name&order=desc") == ["Wendy Worse A", "Quinn Quiet A", "Fred Flat A",
                                              "Chris Client"]
    drifting = text_of(http.get("/clinic/clients/?engagement=drifting").content.decode())
    assert "Drifting away Not signed in for 21 days" in drifting
    closed = text_of(http.get("/clinic/clients/?episode=closed").content.decode())
    assert "Episode closed Completed" in closed


def test_a_bad_filter_is_an_inline_error_and_the_table_still_shows(alpha) -> None:
    build(alpha, "A")

    response = alpha.http(alpha.clinician).get("/clinic/clients/?reliable=nonsense&page=x")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field-errors"' in html
    assert "Select a valid choice. nonsense is not one of the available choices." in html
    assert names(html) == ["Chris Client", "Fred Flat A", "Quinn Quiet A", "Wendy Worse A"]


def test_the_owner_filters_by_clinician_and_a_clinician_sees_only_their_own(alpha) -> None:
    build(alpha, "A")
    with schema_context(alpha.practice.schema_name):
        from tenants.accounts.models import User
        other = User.objects.get(email="second.clinician@example.org")
        add_client(alpha, "Olga Others", clinician=other)
    owner = alpha.http(alpha.owner)

    everyone = names(owner.get("/clinic/clients/").content.decode())
    theirs = names(owner.get(f"/clinic/clients/?clinician={other.pk}").content.decode())
    clinician = names(alpha.http(alpha.clinician).get("/clinic/clients/").content.decode())

    assert "Olga Others" in everyone and len(everyone) == 5
    assert theirs == ["Olga Others"]
    assert "Olga Others" not in clinician
    # A clinician has no clinician filter: the parameter is ignored, not an error.
    assert names(alpha.http(alpha.clinician).get(
        f"/clinic/clients/?clinician={other.pk}").content.decode()) == clinician


def test_pages_of_25_and_query_count_independent_of_clients_and_history(alpha) -> None:
    build(alpha, "A")
    http = alpha.http(alpha.clinician)
    http.get("/clinic/clients/")

    def count(path: str) -> tuple[int, int]:
        forget_readings(alpha)  # every reading worked out: the costlier case
        with CaptureQueriesContext(connection) as queries:
            status = http.get(path).status_code
        return status, len(queries)

    small = count("/clinic/clients/?sort=activity")
    with schema_context(alpha.practice.schema_name):
        start = timezone.now() - timedelta(weeks=60)
        for index in range(30):
            client = add_client(alpha, f"Zed {index:02d}")
            give_history(client, "phq9", [12 + index % 5] * 20, start=start)
            if index % 3 == 0:
                episode_open(client=client, actor=Actor.of(alpha.clinician), started_at=start)
    large = count("/clinic/clients/?sort=activity")

    # + 2: the expected paths' status (the practice's calibrations, the open episodes' scores);
    # - 2: the care teams read as tuples in one query (not profiles and clinicians prefetched),
    # and the current episodes read once for both the headlines and the episode column; - 1:
    # each episode's first and last scores in one query.
    # + 1: the clients' reading stamps (practice.today.readings); the latest submissions
    # read with the readings (one query, not a join of every response with the clients).
    assert small == large == (200, 19)
    first = alpha.http(alpha.clinician).get("/clinic/clients/?q=zed").content.decode()
    second = alpha.http(alpha.clinician).get("/clinic/clients/?q=zed&page=2").content.decode()
    assert len(names(first)) == 25 and len(names(second)) == 5
    assert "Page 1 of 2" in first and 'href="?q=zed&amp;page=2"' in first
    assert "Previous page" in second


def test_every_row_is_written_escaped_with_each_cell(alpha) -> None:
    """The rows are written by the view (_caseload_rows_html), not the template: names and
    alert summaries are escaped, and every cell is there, with and without assessments."""
    build(alpha, "A")
    with schema_context(alpha.practice.schema_name):
        odd = add_client(alpha, "Zed <b>Bold</b> & Co")
        odd.is_active = False
        odd.save(update_fields=["is_active"])
        Alert.objects.create(client=odd, kind=Alert.Kind.NO_SIGN_IN, severity="routine",
                             summary="Quiet <i>for</i> 30 days", dedupe_key=f"ns:{odd.pk}")
    html = alpha.http(alpha.clinician).get("/clinic/clients/").content.decode()
    assert "Zed &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html and "<b>Bold</b>" not in html
    assert "Quiet &lt;i&gt;for&lt;/i&gt; 30 days" in html
    row = text_of(html).split("Zed &lt;b&gt;Bold&lt;/b&gt; &amp; Co", 1)[1]
    assert row.startswith(" (inactive) Casey Clinician None yet Never Drifting away Quiet "
                          "&lt;i&gt;for&lt;/i&gt; 30 days No episode — 0 60-second review")
    assert f'href="/clinic/clients/{odd.pk}/"' in html
    assert f'href="/clinic/clients/{odd.pk}/review/"' in html
    worse = text_of(html).split("Wendy Worse A", 1)[1][:160]
    assert "PHQ-9 15 Moderately severe · +10 since baseline Reliable deterioration" in worse
    assert "Episode open" in worse
    flat = text_of(html).split("Fred Flat A", 1)[1][:160]
    assert "Episode closed Completed" in flat
    with_scores = text_of(html).count("60-second review")

    Practice.objects.filter(pk=alpha.practice.pk).update(
        enabled_modules=[m for m in alpha.practice.enabled_modules if m != "assessments"])
    plain = alpha.http(alpha.clinician).get("/clinic/clients/").content.decode()
    assert with_scores == 5 and "60-second review" not in plain  # a row each
    assert f'href="/clinic/clients/{odd.pk}/"' not in plain
    assert "Zed &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in plain
