"""Reads of episodes and their scores. Every selector runs a fixed number of queries, whatever
the number of clients and the length of their history (see the package docstring for the names
other modules rely on)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from practice.access import clients_visible_to
from practice.measurement.library import get_definition
from practice.measurement.models import Response
from practice.measurement.selectors import DefinitionCatalog, definition_catalog
from practice.outcomes.maths import (
    COMBINED_KEY,
    COMBINED_MEASURES,
    EpisodeFigures,
    EpisodeOutcome,
    Summary,
    episode_outcome,
    summarise,
    summarise_combined,
)
from practice.outcomes.models import Episode
from tenants.accounts.models import User


@dataclass(frozen=True)
class Score:
    response_id: int
    total: Decimal
    band_key: str
    band_label: str
    submitted_at: datetime


@dataclass(frozen=True)
class EpisodeScores:
    """One instrument in one episode: its first and last scored responses and how many."""

    instrument_key: str
    baseline: Score
    latest: Score  # the final score once the episode is closed
    count: int

    @property
    def final(self) -> Score:
        return self.latest

    @property
    def is_paired(self) -> bool:
        return self.count >= 2


@dataclass(frozen=True)
class InstrumentProgress:
    instrument_key: str
    title: str
    scores: EpisodeScores
    outcome: EpisodeOutcome | None  # None with a single score

    @property
    def baseline(self) -> Score:
        return self.scores.baseline

    @property
    def latest(self) -> Score:
        return self.scores.latest

    @property
    def change(self) -> Decimal:
        return self.scores.latest.total - self.scores.baseline.total


@dataclass(frozen=True)
class EpisodeHeadline:
    episode: Episode
    instruments: dict[str, InstrumentProgress]


def _client_ids(clients: Iterable[User] | QuerySet[User]) -> list[int]:
    if isinstance(clients, QuerySet):
        return list(clients.values_list("pk", flat=True))
    return [client.pk for client in clients]


def current_episode(client: User) -> Episode | None:
    """The client's open episode, else their latest one (None if they never had one)."""
    return current_episodes([client]).get(client.pk)


# What a caseload's rows read of each client's episode (``current_episodes(brief=True)``).
BRIEF_FIELDS = ("id", "client_id", "started_at", "ended_at", "end_reason")


def current_episodes(clients: Iterable[User] | Iterable[int] | QuerySet[User], *,
                     brief: bool = False) -> dict[int, Episode]:
    """For each client (users or their ids), the open episode, else the latest: one query.
    ``brief`` reads only ``BRIEF_FIELDS`` (whether it is open, since when, why it closed): for
    hundreds of clients, the other fields are most of the cost."""
    # A subquery of their pks, or the pks.
    chosen = (Q(client__in=clients.values("pk")) if isinstance(clients, QuerySet)
              else Q(client_id__any=[client if isinstance(client, int) else client.pk
                                     for client in clients]))
    episodes = Episode.objects.only(*BRIEF_FIELDS) if brief else Episode.objects.all()
    rows = (episodes.filter(chosen)
            .annotate(open_first=Case(When(ended_at__isnull=True, then=Value(0)),
                                      default=Value(1), output_field=IntegerField()))
            .order_by("client_id", "open_first", "-started_at", "-pk")
            .distinct("client_id"))
    return {episode.client_id: episode for episode in rows}


def episodes_for_client(client: User) -> list[Episode]:
    """Every episode of a client, newest first, with the people involved."""
    return list(Episode.objects.filter(client=client)
                .select_related("clinician", "created_by", "ended_by")
                .order_by("-started_at", "-pk"))


def episode_for_staff(user: User, episode_id: int) -> Episode:
    """An episode of a client `user` may see; Episode.DoesNotExist otherwise, like a missing
    one."""
    return (Episode.objects.select_related("client", "clinician")
            .get(pk=episode_id, client__in=clients_visible_to(user)))


# The first and last scored response of each instrument inside each episode's window, with the
# count, in one round trip: a hashed grouping (no sort) finds each instrument's count and first
# and last moments, and two probes of the response history index (client, instrument, submitted
# at) fetch those rows, the lowest id first among equal moments and the highest id last, as an
# ordering by (submitted at, id) would.
_VALID = """r.status = 'submitted' AND r.is_scored AND r.entered_in_error_at IS NULL
           AND r.total IS NOT NULL"""
_EPISODE_SCORES_SQL = """
WITH found AS (
    SELECT e.id AS episode_id, e.client_id, r.instrument_key, count(*) AS scored,
           min(r.submitted_at) AS first_at, max(r.submitted_at) AS last_at
    FROM {episode} e
    JOIN {response} r ON r.client_id = e.client_id
         AND r.submitted_at >= e.started_at
         AND (e.ended_at IS NULL OR r.submitted_at <= e.ended_at)
    WHERE e.id = ANY(%s) AND {valid} {keys}
    GROUP BY e.id, e.client_id, r.instrument_key
)
SELECT found.episode_id, found.instrument_key, found.scored,
       f.id, f.total, f.band_key, f.band_label, f.submitted_at,
       l.id, l.total, l.band_key, l.band_label, l.submitted_at
FROM found
CROSS JOIN LATERAL (
    SELECT r.id, r.total, r.band_key, r.band_label, r.submitted_at FROM {response} r
    WHERE r.client_id = found.client_id AND r.instrument_key = found.instrument_key
      AND r.submitted_at = found.first_at AND {valid}
    ORDER BY r.id LIMIT 1) f
CROSS JOIN LATERAL (
    SELECT r.id, r.total, r.band_key, r.band_label, r.submitted_at FROM {response} r
    WHERE r.client_id = found.client_id AND r.instrument_key = found.instrument_key
      AND r.submitted_at = found.last_at AND {valid}
    ORDER BY r.id DESC LIMIT 1) l
"""


def episode_scores(episodes: Iterable[Episode] | Iterable[int],
                   instrument_keys: Iterable[str] | None = None
                   ) -> dict[int, dict[str, EpisodeScores]]:
    """Baseline, latest (final) and count of each instrument in each episode: one query."""
    ids = [item if isinstance(item, int) else item.pk for item in episodes]
    if not ids:
        return {}
    params: list[Any] = [ids]
    keys = ""
    if instrument_keys is not None:
        keys = "AND r.instrument_key = ANY(%s)"
        params.append(list(instrument_keys))
    sql = _EPISODE_SCORES_SQL.format(episode=Episode._meta.db_table,
                                     response=Response._meta.db_table, keys=keys, valid=_VALID)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        groups = cursor.fetchall()
    result: dict[int, dict[str, EpisodeScores]] = {}
    for episode_id, key, count, *pair in groups:
        first = Score(*pair[:5])
        # A single score is both the baseline and the latest: one object, as before.
        last = first if pair[5] == pair[0] else Score(*pair[5:])
        result.setdefault(episode_id, {})[key] = EpisodeScores(
            instrument_key=key, baseline=first, latest=last, count=count)
    return result


def instrument_progress(scores: Mapping[str, EpisodeScores], catalog: DefinitionCatalog, *,
                        thresholds: Mapping[str, float] | None = None,
                        outcomes: dict[tuple[str, Decimal, Decimal], EpisodeOutcome] | None = None
                        ) -> dict[str, InstrumentProgress]:
    """Pure: change, reliable and clinically significant change of each instrument. Pass one
    dict as ``outcomes`` for many clients read with the same catalog and thresholds: each
    (instrument, baseline, latest) is worked out once (exact arithmetic costs more than the rest
    of a client's row, and a caseload shares a few dozen pairs)."""
    progress = {}
    known = outcomes if outcomes is not None else {}
    for key, pair in sorted(scores.items()):
        definition = catalog.get(key)
        outcome = None
        if definition is not None and definition.has_total and pair.is_paired:
            memo = (key, pair.baseline.total, pair.latest.total)
            outcome = known.get(memo)
            if outcome is None:
                outcome = known[memo] = episode_outcome(
                    definition, float(pair.baseline.total), float(pair.latest.total),
                    practice_threshold=(thresholds or {}).get(key))
        progress[key] = InstrumentProgress(
            instrument_key=key, title=definition.title if definition else key, scores=pair,
            outcome=outcome)
    return progress


def episode_headlines(clients: Iterable[User] | Iterable[int] | QuerySet[User], *,
                      thresholds: Mapping[str, float] | None = None,
                      episodes: Mapping[int, Episode] | None = None
                      ) -> dict[int, EpisodeHeadline]:
    """Each client's current episode with, per instrument, baseline, latest, change, reliable
    change, clinically significant change and NHS Talking Therapies class. Pass the practice's
    ``reliable_change_thresholds`` as ``thresholds``, and ``current_episodes(clients)`` as
    ``episodes`` when the caller has read them already. Two queries (three when
    practice-defined instruments are involved; one fewer given ``episodes``), whatever the
    number of clients or responses."""
    if episodes is None:
        episodes = current_episodes(clients)
    scores = episode_scores(episodes.values())
    catalog = definition_catalog({key for by_key in scores.values() for key in by_key})
    outcomes: dict[tuple[str, Decimal, Decimal], EpisodeOutcome] = {}
    return {
        client_id: EpisodeHeadline(
            episode=episode,
            instruments=instrument_progress(scores.get(episode.pk, {}), catalog,
                                            thresholds=thresholds, outcomes=outcomes))
        for client_id, episode in episodes.items()
    }


# --- caseload and practice reports -------------------------------------------------------------

@dataclass(frozen=True)
class ReportFilters:
    """Episodes closed between ``start`` and ``end`` (aware moments; either may be open)."""

    start: datetime | None = None
    end: datetime | None = None
    instrument_key: str | None = None
    clinician_id: int | None = None
    end_reason: str | None = None


def closed_episodes_for_report(user: User, filters: ReportFilters) -> list[Episode]:
    """Closed episodes of the clients `user` may see (the owner: every client; a clinician:
    their caseload), narrowed by the filters: one query."""
    episodes = Episode.objects.filter(client__in=clients_visible_to(user),
                                      ended_at__isnull=False)
    if filters.start is not None:
        episodes = episodes.filter(ended_at__gte=filters.start)
    if filters.end is not None:
        episodes = episodes.filter(ended_at__lt=filters.end)
    if filters.clinician_id is not None:
        episodes = episodes.filter(clinician_id=filters.clinician_id)
    if filters.end_reason:
        episodes = episodes.filter(end_reason=filters.end_reason)
    return list(episodes.order_by("ended_at", "pk"))


def report_figures(episodes: list[Episode], instrument_key: str | None = None
                   ) -> dict[str, list[EpisodeFigures]]:
    """Per instrument, the figures of every episode that tracked it or scored it: one
    query."""
    scores = episode_scores(episodes, [instrument_key] if instrument_key else None)
    keys = {key for by_key in scores.values() for key in by_key}
    keys |= {key for episode in episodes for key in episode.instrument_keys}
    if instrument_key:
        keys &= {instrument_key}
    figures: dict[str, list[EpisodeFigures]] = {key: [] for key in sorted(keys)}
    for episode in episodes:
        by_key = scores.get(episode.pk, {})
        for key in figures:
            pair = by_key.get(key)
            if pair is None and key not in episode.instrument_keys:
                continue
            figures[key].append(EpisodeFigures(
                episode_id=episode.pk, client_id=episode.client_id,
                clinician_id=episode.clinician_id, started_at=episode.started_at,
                ended_at=episode.ended_at, end_reason=episode.end_reason,
                measures=pair.count if pair else 0,
                baseline=float(pair.baseline.total) if pair else None,
                final=float(pair.latest.total) if pair else None))
    return figures


@dataclass(frozen=True)
class InstrumentReport:
    instrument_key: str
    title: str
    higher_is_better: bool
    summary: Summary


@dataclass(frozen=True)
class OutcomeReport:
    filters: ReportFilters
    episodes_closed: int
    by_end_reason: dict[str, int]
    instruments: list[InstrumentReport]
    # Depression and anxiety together, as NHS Talking Therapies count (when both were used).
    combined: InstrumentReport | None = None


def outcome_report(user: User, filters: ReportFilters, *,
                   thresholds: Mapping[str, float] | None = None) -> OutcomeReport:
    """The caseload (clinician) or practice (owner) outcome report: two queries (three with
    practice-defined instruments), whatever the number of episodes and scores."""
    episodes = closed_episodes_for_report(user, filters)
    figures = report_figures(episodes, filters.instrument_key)
    catalog = definition_catalog(figures)
    reports = []
    for key, rows in figures.items():
        definition = catalog.get(key)
        if definition is None or not definition.has_total:
            continue
        reports.append(InstrumentReport(
            instrument_key=key, title=definition.title,
            higher_is_better=definition.higher_is_better,
            summary=summarise(definition, rows,
                              practice_threshold=(thresholds or {}).get(key))))
    by_reason: dict[str, int] = {}
    for episode in episodes:
        by_reason[episode.end_reason] = by_reason.get(episode.end_reason, 0) + 1
    return OutcomeReport(filters=filters, episodes_closed=len(episodes), by_end_reason=by_reason,
                         instruments=reports, combined=_combined(figures))


def _combined(figures: Mapping[str, list[EpisodeFigures]]) -> InstrumentReport | None:
    depression_key, anxiety_key = COMBINED_MEASURES
    if not (figures.get(depression_key) and figures.get(anxiety_key)):
        return None
    summary = summarise_combined(get_definition(depression_key), get_definition(anxiety_key),
                                 figures[depression_key], figures[anxiety_key])
    return InstrumentReport(
        instrument_key=COMBINED_KEY, higher_is_better=False, summary=summary,
        title="Depression and anxiety together (PHQ-9 and GAD-7, as NHS Talking Therapies "
              "count)")
