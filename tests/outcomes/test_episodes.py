"""Episodes of care: every existing client gets one by migration, inviting and re-engaging open
one, closing takes a reason (audited; page and API), and the selectors give baseline and latest
per episode for many clients at once in a fixed number of queries. Beta, a look-alike practice
with the same ids, is never touched."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from portal import invitations
from practice.models import ClientProfile
from practice.outcomes import selectors, services
from practice.outcomes.maths import Significance, TalkingTherapies
from practice.outcomes.models import Episode
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld
from tests.measurement.clinic_world import give_history, prepare

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _episode(world: PracticeWorld, client: User | None = None, **fields: object) -> Episode:
    return Episode.objects.create(client=client or world.client, clinician=world.clinician,
                                  started_at=fields.pop("started_at", START), **fields)


def test_the_migration_gives_every_existing_client_one_episode_from_their_first_response(
        alpha, beta) -> None:
    prepare(alpha)
    migration = importlib.import_module(
        "practice.outcomes.migrations.0002_episodes_for_existing_clients")
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [18, 12, 6], start=START)
        give_history(alpha.client, "gad7", [9], start=START - timedelta(days=3))
        silent = User.objects.create_user("silent@example.org", PASSWORD, full_name="Sam Silent",
                                          role=Role.CLIENT)
        ClientProfile.objects.create(user=silent)
        Episode.objects.all().delete()
        migration.forwards(apps, None)
        migration.forwards(apps, None)  # run twice: still one each
        mine = Episode.objects.get(client=alpha.client)
        assert mine.started_at == START - timedelta(days=3)
        assert mine.ended_at is None
        assert mine.clinician == alpha.clinician
        assert mine.instrument_keys == ["gad7", "phq9"]
        assert Episode.objects.filter(client=silent).count() == 1
        assert Episode.objects.count() == 2
        # Nothing of the history falls outside the episode.
        scores = selectors.episode_scores([mine])[mine.pk]
        assert (scores["phq9"].count, scores["gad7"].count) == (3, 1)
    connection.set_schema_to_public()
    with schema_context(beta.practice.schema_name):
        assert Episode.objects.count() == 0


def test_inviting_opens_an_episode_and_re_engaging_a_former_client_opens_another(
        alpha, beta) -> None:
    with schema_context(alpha.practice.schema_name):
        invitation = invitations.client_invite(
            actor=Actor.of(alpha.clinician, practice=alpha.practice),
            invite=invitations.ClientInvite(full_name="Nora New", email="nora@example.org",
                                            phone="", modules=["assessments"]))
        client = invitation.user
        first = Episode.objects.get(client=client)
        assert (first.clinician, first.created_by, first.is_open) == (
            alpha.clinician, alpha.clinician, True)
        # A resend keeps the open episode.
        invitations.client_invitation_send(client_id=client.pk,
                                           actor=Actor.of(alpha.clinician, practice=alpha.practice))
        assert Episode.objects.filter(client=client).count() == 1
        services.episode_close(episode_id=first.pk, actor=Actor.of(alpha.clinician),
                               end_reason="completed")
        invitations.client_invitation_send(client_id=client.pk,
                                           actor=Actor.of(alpha.clinician, practice=alpha.practice))
        assert Episode.objects.filter(client=client).count() == 2
        assert Episode.objects.filter(client=client, ended_at__isnull=True).count() == 1
        assert AuditEvent.objects.filter(action="episode.opened").count() == 2
    connection.set_schema_to_public()
    with schema_context(beta.practice.schema_name):
        assert Episode.objects.count() == 0


def test_one_open_episode_per_client_and_an_end_needs_a_reason(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        _episode(alpha)
        with pytest.raises(services.EpisodeError, match="already has an open episode"):
            services.episode_open(client=alpha.client, actor=Actor.of(alpha.owner))
        with transaction.atomic(), pytest.raises(IntegrityError):
            _episode(alpha)
        with transaction.atomic(), pytest.raises(IntegrityError):
            Episode.objects.filter(client=alpha.client).update(ended_at=START + timedelta(1))


def test_closing_is_audited_and_checked(alpha, beta) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        episode = _episode(alpha)
        with pytest.raises(services.EpisodeError, match="Choose why"):
            services.episode_close(episode_id=episode.pk, actor=Actor.of(alpha.clinician),
                                   end_reason="bored")
        with pytest.raises(services.EpisodeError, match="before it started"):
            services.episode_close(episode_id=episode.pk, actor=Actor.of(alpha.clinician),
                                   end_reason="moved", ended_at=START - timedelta(days=1))
        with pytest.raises(Episode.DoesNotExist):
            services.episode_close(episode_id=episode.pk, actor=Actor.of(alpha.front_desk),
                                   end_reason="moved")
        closed = services.episode_close(episode_id=episode.pk, actor=Actor.of(alpha.clinician),
                                        end_reason="dropped_out", note="stopped coming")
        assert (closed.end_reason, closed.end_note, closed.ended_by) == (
            "dropped_out", "stopped coming", alpha.clinician)
        event = AuditEvent.objects.get(action="episode.closed")
        assert event.detail == {"client_id": alpha.client.pk, "end_reason": "dropped_out"}
        with pytest.raises(services.EpisodeError, match="already closed"):
            services.episode_close(episode_id=episode.pk, actor=Actor.of(alpha.owner),
                                   end_reason="moved")


def test_closing_from_the_page_and_the_api(alpha, beta) -> None:
    other = prepare(alpha)
    prepare(beta)
    with schema_context(alpha.practice.schema_name):
        episode = _episode(alpha)
    with schema_context(beta.practice.schema_name):
        twin = _episode(beta)
    assert twin.pk == episode.pk
    connection.set_schema_to_public()
    page_url = f"/outcomes/clients/{alpha.client.pk}/episodes/"
    close_url = f"/outcomes/episodes/{episode.pk}/close/"
    api_url = f"/api/v1/episodes/{episode.pk}/close"
    for person in (alpha.front_desk, alpha.billing, alpha.client):
        http = alpha.http(person)
        assert http.get(page_url).status_code == 404
        assert http.post(close_url, {"end_reason": "moved"}).status_code == 404
        assert http.post(api_url, {"end_reason": "moved"},
                         content_type="application/json").status_code == 404
    unassigned = alpha.http(other)
    assert unassigned.get(page_url).status_code == 404
    assert unassigned.post(close_url, {"end_reason": "moved"}).status_code == 404

    http = alpha.http(alpha.clinician)
    page = http.get(page_url)
    assert page.status_code == 200
    assert "Close this episode" in page.content.decode()
    refused = http.post(close_url, {"end_reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    done = http.post(close_url, {"end_reason": "referred_on", "note": ""})
    assert done.status_code == 302
    with schema_context(alpha.practice.schema_name):
        episode.refresh_from_db()
        assert episode.end_reason == "referred_on"
        assert episode.ended_at is not None
    connection.set_schema_to_public()
    again = alpha.http(alpha.owner).post(api_url, {"end_reason": "moved"},
                                         content_type="application/json")
    assert again.status_code == 400
    assert again.json() == {"detail": "This episode is already closed."}
    opened = alpha.http(alpha.owner).post(f"/api/v1/clients/{alpha.client.pk}/episodes")
    assert opened.status_code == 201
    listed = alpha.http(alpha.owner).get(f"/api/v1/clients/{alpha.client.pk}/episodes").json()
    assert [item["end_reason"] for item in listed] == ["", "referred_on"]
    with schema_context(beta.practice.schema_name):
        twin.refresh_from_db()
        assert twin.ended_at is None
        assert Episode.objects.count() == 1


def test_headlines_give_baseline_and_latest_per_episode_in_two_queries(
        alpha, django_assert_num_queries) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        clients = [alpha.client]
        for number in range(3):
            client = User.objects.create_user(f"c{number}@example.org", PASSWORD,
                                              full_name=f"C {number}", role=Role.CLIENT)
            clients.append(client)
        # An earlier, closed episode whose scores must not count in the current one.
        _episode(alpha, started_at=START - timedelta(days=100),
                 ended_at=START - timedelta(days=50), end_reason="completed")
        give_history(alpha.client, "phq9", [25, 24], start=START - timedelta(days=90))
        _episode(alpha)
        give_history(alpha.client, "phq9", [18, 15, 11, 9], start=START)
        give_history(alpha.client, "gad7", [12], start=START)
        for client in clients[1:]:
            _episode(alpha, client=client)
            give_history(client, "phq9", [9, 16] * 20, start=START, step=timedelta(days=1))
        with django_assert_num_queries(2):
            headlines = selectors.episode_headlines(clients)
        mine = headlines[alpha.client.pk].instruments
        assert (mine["phq9"].baseline.total, mine["phq9"].latest.total) == (
            Decimal("18.00"), Decimal("9.00"))
        assert mine["phq9"].scores.count == 4
        assert mine["phq9"].change == Decimal("-9.00")
        assert mine["phq9"].outcome.talking_therapies is TalkingTherapies.RELIABLE_RECOVERY
        assert mine["phq9"].outcome.significance is Significance.RECOVERED
        assert mine["gad7"].outcome is None and mine["gad7"].scores.count == 1
        other = headlines[clients[1].pk].instruments["phq9"]
        assert (other.baseline.total, other.latest.total, other.scores.count) == (
            Decimal("9.00"), Decimal("16.00"), 40)
        assert other.outcome.talking_therapies is TalkingTherapies.RELIABLE_DETERIORATION
        # The same number of queries with a queryset of clients.
        with django_assert_num_queries(2):
            assert len(selectors.episode_headlines(
                User.objects.filter(role=Role.CLIENT))) == 4
        assert selectors.current_episode(alpha.client).is_open
