"""A hand-built caseload with known outcomes, shared by the report and export tests.

PHQ-9 episodes, closed in February 2026 (baseline -> final):
- clinician (the world's): recovered 18 -> 6 (reliable recovery); deteriorated 8 -> 16;
  one score only (14); improved but still a case 22 -> 14; unchanged 15 -> 13;
- a second clinician: recovered 20 -> 5 (reliable recovery); recovered, not reliably, 12 -> 8.
Plus an open episode and an episode closed in 2025 (outside the default range in the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django_tenants.utils import schema_context

from practice.models import ClientProfile
from practice.outcomes.models import Episode
from tenants.accounts.models import Role, User
from tests.conftest import PASSWORD, PracticeWorld
from tests.measurement.clinic_world import give_history

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
END = datetime(2026, 2, 16, 17, tzinfo=UTC)

MINE = [("Rita Recovered", [18, 12, 6]), ("Dan Deteriorated", [8, 12, 16]),
        ("Uri Unpaired", [14]), ("Ivy Improved", [22, 18, 14]), ("Noel Nochange", [15, 13])]
THEIRS = [("Tom Theirs", [20, 11, 5]), ("Rae Recovery", [12, 8])]


@dataclass
class Caseload:
    other_clinician: User
    clients: dict[str, User]
    episodes: dict[str, Episode]


def _client(world: PracticeWorld, name: str, clinician: User, number: int) -> User:
    client = User.objects.create_user(f"client{number}@example.org", PASSWORD, full_name=name,
                                      role=Role.CLIENT)
    ClientProfile.objects.create(user=client).clinicians.add(clinician)
    return client


def _closed(client: User, clinician: User, totals: Sequence[int], *, start: datetime,
            end: datetime, reason: str = "completed") -> Episode:
    episode = Episode.objects.create(client=client, clinician=clinician, started_at=start,
                                     instrument_keys=["phq9"])
    give_history(client, "phq9", totals, start=start + timedelta(hours=1))
    Episode.objects.filter(pk=episode.pk).update(ended_at=end, end_reason=reason)
    episode.refresh_from_db()
    return episode


def build_caseload(world: PracticeWorld, *, canary: str = "") -> Caseload:
    with schema_context(world.practice.schema_name):
        other = User.objects.create_user("second.clinician@example.org", PASSWORD,
                                         full_name="Uma Other", role=Role.CLINICIAN)
        clients: dict[str, User] = {}
        episodes: dict[str, Episode] = {}
        number = 0
        for clinician, people in ((world.clinician, MINE), (other, THEIRS)):
            for name, totals in people:
                number += 1
                client = _client(world, canary + name, clinician, number)
                clients[name] = client
                reason = "dropped_out" if name == "Uri Unpaired" else "completed"
                episodes[name] = _closed(client, clinician, totals, start=START, end=END,
                                         reason=reason)
        # An earlier episode of Rita's, closed in 2025 (2 paired scores, deteriorated).
        _closed(clients["Rita Recovered"], world.clinician, [5, 20],
                start=datetime(2025, 3, 1, tzinfo=UTC), end=datetime(2025, 4, 1, tzinfo=UTC))
        # An open episode: never in a report of closed ones.
        open_client = _client(world, canary + "Olga Open", world.clinician, 99)
        Episode.objects.create(client=open_client, clinician=world.clinician, started_at=START)
        give_history(open_client, "phq9", [20, 2], start=START)
        return Caseload(other_clinician=other, clients=clients, episodes=episodes)
