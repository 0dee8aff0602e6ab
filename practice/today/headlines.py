"""A client's headline per instrument: the latest score and band, the change since the baseline
and whether it is reliable (Jacobson-Truax, the instrument's published threshold or the
practice's own).

The baseline is the first score of the instrument in the client's current episode of care (the
open one, else the latest: practice.outcomes.selectors.episode_headlines). A client with no
episode recorded (an account made outside the invitation flow) is read over their whole
history instead, so nobody's scores go missing from the page.

A fixed number of queries for any number of clients: three for the episodes and their first and
last scores, and, only when some client has no episode, two more picking the first and the
latest scored response of each of those clients and instruments (DISTINCT ON over the
(client, instrument_key, submitted_at) index), never the whole history."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from practice.measurement.charts import signed_change
from practice.measurement.models import Response
from practice.measurement.scoring import NoReliableChangeThreshold, ReliableChange, reliable_change
from practice.measurement.selectors import definition_catalog
from practice.outcomes.models import Episode
from practice.outcomes.selectors import current_episodes, episode_headlines
from tenants.models import Practice

# Mood check-ins are daily and not a measure of outcome: they have their own trend.
NOT_HEADLINED = ("mood",)

RELIABLE_LABELS = {
    ReliableChange.IMPROVEMENT: "Reliable improvement",
    ReliableChange.DETERIORATION: "Reliable deterioration",
    ReliableChange.NO_RELIABLE_CHANGE: "No reliable change",
}


@dataclass(frozen=True)
class Headline:
    instrument_key: str
    title: str
    latest: Decimal
    band: str
    baseline: Decimal
    has_change: bool  # more than one score: the latest is not the baseline
    reliable: ReliableChange | None  # None: one score only, or no threshold known

    @property
    def latest_text(self) -> str:
        number = float(self.latest)
        return str(int(number)) if number == int(number) else f"{number:g}"

    @property
    def change_text(self) -> str:
        return signed_change(float(self.latest - self.baseline)) if self.has_change else ""

    @property
    def reliable_text(self) -> str:
        return RELIABLE_LABELS.get(self.reliable, "") if self.reliable else ""

    @property
    def reliable_key(self) -> str:
        return self.reliable.value if self.reliable else ""

    @property
    def is_deteriorated(self) -> bool:
        return self.reliable == ReliableChange.DETERIORATION


def _scored() -> QuerySet[Response]:
    return (Response.objects.filter(status=Response.Status.SUBMITTED, is_scored=True,
                                    entered_in_error_at__isnull=True, total__isnull=False)
            .exclude(instrument_key__in=NOT_HEADLINED))


def _short(title: str) -> str:
    return title.split(" (")[0].strip() or title


def client_headlines(client_ids: Collection[int], *, practice: Practice,
                     episodes: Mapping[int, Episode] | None = None
                     ) -> dict[int, list[Headline]]:
    """client id -> headlines (instrument order: by key), for the clients given; pass their
    ``current_episodes`` as ``episodes`` when already read (one query fewer)."""
    ids = list(client_ids)
    if not ids:
        return {}
    thresholds = practice.reliable_change_thresholds or {}
    found: dict[int, list[Headline]] = {}
    by_episode = episode_headlines(ids, thresholds=thresholds,
                                   episodes=episodes if episodes is not None
                                   else current_episodes(ids, brief=True))
    for client_id, headline in by_episode.items():
        for key, progress in headline.instruments.items():
            if key in NOT_HEADLINED or progress.outcome is None and progress.scores.is_paired:
                continue  # no total to follow (subscales only)
            found.setdefault(client_id, []).append(Headline(
                instrument_key=key, title=_short(progress.title),
                latest=progress.latest.total, band=progress.latest.band_label,
                baseline=progress.baseline.total, has_change=progress.scores.is_paired,
                reliable=progress.outcome.reliable if progress.outcome else None))
    without = [client_id for client_id in ids if client_id not in by_episode]
    if without:
        found.update(_whole_history_headlines(without, thresholds))
    return found


def _whole_history_headlines(client_ids: list[int], thresholds: dict[str, float]
                             ) -> dict[int, list[Headline]]:
    fields = ("client_id", "instrument_key", "total", "band_label", "definition_version", "pk")
    base = _scored().filter(client_id__any=client_ids)
    latest = list(base.order_by("client_id", "instrument_key", "-submitted_at", "-pk")
                  .distinct("client_id", "instrument_key").values_list(*fields))
    first = {(row[0], row[1]): (row[2], row[5]) for row in
             base.order_by("client_id", "instrument_key", "submitted_at", "pk")
             .distinct("client_id", "instrument_key").values_list(*fields)}
    catalog = definition_catalog({row[1] for row in latest})
    found: dict[int, list[Headline]] = {}
    # Hundreds of clients share a few dozen (instrument, baseline, latest) pairs: each is
    # compared once (exact arithmetic costs more than the rest of the row).
    compared: dict[tuple[str, int, Decimal, Decimal], ReliableChange | None] = {}
    for client_id, key, total, band, version, pk in latest:
        definition = catalog.get(key, version)
        if definition is None or not definition.has_total:
            continue
        baseline, baseline_pk = first[(client_id, key)]
        has_change = baseline_pk != pk
        reliable: ReliableChange | None = None
        if has_change:
            pair = (key, version, baseline, total)
            if pair not in compared:
                try:
                    compared[pair] = reliable_change(definition, baseline, total,
                                                     practice_threshold=thresholds.get(key))
                except NoReliableChangeThreshold:
                    compared[pair] = None
            reliable = compared[pair]
        found.setdefault(client_id, []).append(Headline(
            instrument_key=key, title=_short(definition.title), latest=total, band=band,
            baseline=baseline, has_change=has_change, reliable=reliable))
    return found

