"""Reads: the practice's paths (the defaults, with its adopted calibrations in their place), the
scores of open episodes the paths are read against, the data a calibration is fitted on, and the
settings. Every read is a fixed number of queries, whatever the number of clients or scores."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.db import connection
from django.db.models import QuerySet

from practice.access import clients_visible_to
from practice.expected.models import Calibration, ClientPathSharing, PathSettings, SupportAnswers
from practice.expected.policies import (
    ANSWER_LABELS,
    COLOURS,
    DEFAULT_CONSECUTIVE,
    QUESTIONS,
    STATUS_CSS,
    STATUS_WORDS,
    Observation,
    PathModel,
    PathReading,
    PathStatus,
    Stratum,
    default_models,
    expected_at,
    read_path,
)
from practice.measurement.library import get_definition
from practice.measurement.models import Alert, Response
from practice.outcomes.maths import Rate
from practice.outcomes.models import Episode
from practice.outcomes.selectors import episode_scores
from tenants.accounts.models import User

WEEK_SECONDS = 7 * 24 * 3600.0


def weeks_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / WEEK_SECONDS


def path_settings() -> PathSettings:
    return PathSettings.objects.first() or PathSettings()


def adopted_calibrations() -> list[Calibration]:
    return list(Calibration.objects.filter(status=Calibration.Status.ADOPTED))


def apply_calibrations(models: dict[str, PathModel],
                       calibrations: Iterable[Calibration]) -> dict[str, PathModel]:
    """Pure: each adopted calibration replaces its band's default (and the floor rule there)."""
    found = dict(models)
    for row in calibrations:
        model = found.get(row.instrument_key)
        default = model.stratum_for_band(row.band) if model else None
        if model is None or default is None:
            continue
        found[row.instrument_key] = model.with_stratum(Stratum(
            band=row.band, lower=default.lower, upper=default.upper, k=row.k,
            tolerance=row.tolerance, version=row.version,
            source="Fitted to this practice's own closed episodes", episodes=row.episodes,
            uses_floor_rule=False))
    return found


def path_models() -> dict[str, PathModel]:
    """The paths this practice runs on: one query."""
    return apply_calibrations(default_models(), adopted_calibrations())


# --- the scores of open episodes -----------------------------------------------------------------

@dataclass(frozen=True)
class EpisodeTail:
    client_id: int
    episode_id: int
    instrument_key: str
    baseline: float
    baseline_at: datetime
    # After the baseline, oldest first: (weeks since the baseline, score), at most the length
    # asked for.
    points: tuple[tuple[float, float], ...]
    latest_response_id: int | None


# Two index probes per open episode and instrument (response history: client, instrument,
# submitted at): the first score in the episode, and its latest ones.
_TAIL_SQL = """
    SELECT e.client_id, e.id, k.key, b.id, b.total, b.submitted_at, t.id, t.total, t.submitted_at
    FROM {episode} e
    CROSS JOIN unnest(%s::text[]) AS k(key)
    JOIN LATERAL (
        SELECT r.id, r.total, r.submitted_at FROM {response} r
        WHERE r.client_id = e.client_id AND r.instrument_key = k.key
          AND r.submitted_at >= e.started_at AND r.status = 'submitted' AND r.is_scored
          AND r.total IS NOT NULL AND r.entered_in_error_at IS NULL
        ORDER BY r.submitted_at, r.id LIMIT 1
    ) AS b ON TRUE
    JOIN LATERAL (
        SELECT r.id, r.total, r.submitted_at FROM {response} r
        WHERE r.client_id = e.client_id AND r.instrument_key = k.key
          AND r.submitted_at >= e.started_at AND r.status = 'submitted' AND r.is_scored
          AND r.total IS NOT NULL AND r.entered_in_error_at IS NULL
        ORDER BY r.submitted_at DESC, r.id DESC LIMIT %s
    ) AS t ON TRUE
    WHERE e.ended_at IS NULL AND e.client_id IN ({clients})
"""


def episode_tails(clients: QuerySet[User] | Iterable[int], instrument_keys: Iterable[str],
                  length: int) -> list[EpisodeTail]:
    """For each open episode of ``clients`` and each instrument scored in it: the baseline and
    the latest ``length`` scores after it. One query."""
    keys = sorted(instrument_keys)
    if isinstance(clients, QuerySet):
        clients_sql, clients_params = clients.values("pk").query.sql_with_params()
    else:
        ids = list(clients)
        if not ids:
            return []
        clients_sql, clients_params = "SELECT unnest(%s::bigint[])", (ids,)
    if not keys:
        return []
    sql = _TAIL_SQL.format(episode=Episode._meta.db_table, response=Response._meta.db_table,
                           clients=clients_sql)
    groups: dict[tuple[int, str], dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [keys, length + 1, *clients_params])
        for (client_id, episode_id, key, first_id, first_total, first_at, latest_id, total,
             submitted_at) in cursor.fetchall():
            group = groups.setdefault((episode_id, key), {
                "client_id": client_id, "episode_id": episode_id, "key": key,
                "baseline": float(first_total), "at": first_at, "rows": []})
            if latest_id != first_id:
                group["rows"].append((submitted_at, latest_id, float(total)))
    tails = []
    for group in groups.values():
        rows = sorted(group["rows"])[-length:]
        tails.append(EpisodeTail(
            client_id=group["client_id"], episode_id=group["episode_id"],
            instrument_key=group["key"], baseline=group["baseline"], baseline_at=group["at"],
            points=tuple((weeks_between(group["at"], at), total) for at, _id, total in rows),
            latest_response_id=rows[-1][1] if rows else None))
    tails.sort(key=lambda tail: (tail.client_id, tail.instrument_key))
    return tails


@dataclass(frozen=True)
class ClientPath:
    """One instrument of a client's open episode read against its expected path."""

    instrument_key: str
    model: PathModel
    tail: EpisodeTail
    reading: PathReading

    @property
    def title(self) -> str:
        return short_title(self.instrument_key)


def short_title(instrument_key: str) -> str:
    """"PHQ-9", not "PHQ-9 (Patient Health Questionnaire)"."""
    return get_definition(instrument_key).title.split(" (")[0]


def client_paths(clients: QuerySet[User] | Iterable[int],
                 consecutive: int = DEFAULT_CONSECUTIVE) -> dict[int, list[ClientPath]]:
    """Each client's path readings (open episode, every instrument with a path): two
    queries."""
    models = path_models()
    found: dict[int, list[ClientPath]] = {}
    for tail in episode_tails(clients, models, consecutive):
        model = models[tail.instrument_key]
        found.setdefault(tail.client_id, []).append(ClientPath(
            instrument_key=tail.instrument_key, model=model, tail=tail,
            reading=read_path(model, tail.baseline, list(tail.points), consecutive)))
    return found


# --- calibration data ----------------------------------------------------------------------------

_CALIBRATION_SQL = """
    SELECT e.id, r.total, r.submitted_at
    FROM {episode} e
    JOIN {response} r ON r.client_id = e.client_id
         AND r.submitted_at >= e.started_at AND r.submitted_at <= e.ended_at
    WHERE e.ended_at IS NOT NULL AND r.instrument_key = %s AND r.status = 'submitted'
      AND r.is_scored AND r.total IS NOT NULL AND r.entered_in_error_at IS NULL
    ORDER BY e.id, r.submitted_at, r.id
"""


def calibration_observations(instrument_key: str
                             ) -> dict[int, list[tuple[float, float, float]]]:
    """The practice's closed episodes with two scores or more of the instrument: per episode,
    (baseline, weeks since it, score) of every later score. One query, on this practice's
    schema only (another practice's episodes live in another schema)."""
    sql = _CALIBRATION_SQL.format(episode=Episode._meta.db_table,
                                  response=Response._meta.db_table)
    series: dict[int, list[tuple[datetime, float]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [instrument_key])
        for episode_id, total, submitted_at in cursor.fetchall():
            series.setdefault(episode_id, []).append((submitted_at, float(total)))
    found = {}
    for episode_id, rows in series.items():
        if len(rows) < 2:
            continue
        (start, baseline), later = rows[0], rows[1:]
        found[episode_id] = [(baseline, weeks_between(start, at), total) for at, total in later]
    return found


def observations_by_band(model: PathModel, instrument_key: str
                         ) -> dict[str, tuple[int, list[Observation]]]:
    """Per baseline band: (episodes, observations)."""
    found: dict[str, tuple[int, list[Observation]]] = {}
    for rows in calibration_observations(instrument_key).values():
        stratum = model.stratum_for(rows[0][0])
        if stratum is None:
            continue
        episodes, observations = found.get(stratum.band, (0, []))
        observations.extend(Observation(baseline, weeks, score)
                            for baseline, weeks, score in rows)
        found[stratum.band] = (episodes + 1, observations)
    return found


def calibrations() -> list[Calibration]:
    return list(Calibration.objects.select_related("adopted_by", "fitted_by"))


# --- who sees their path, support answers ---------------------------------------------------

def client_sees_path(client: User) -> bool:
    """The practice shows expected ranges to clients and the clinician turned it on for this
    one (two small queries)."""
    if not path_settings().is_shown_to_clients:
        return False
    return ClientPathSharing.objects.filter(client=client, is_shown=True).exists()


def client_sharing(client: User) -> bool:
    return ClientPathSharing.objects.filter(client=client, is_shown=True).exists()


def support_answers_for(alerts: Iterable[Alert]) -> dict[int, SupportAnswers]:
    ids = [alert.pk for alert in alerts]
    return {row.alert_id: row for row in SupportAnswers.objects.filter(alert_id__in=ids)
            .select_related("answered_by")}


@dataclass(frozen=True)
class SupportEntry:
    """A "not on track" alert of a client with the support questions and any answers."""

    alert: Alert
    answers: SupportAnswers | None

    @property
    def questions(self) -> list[dict[str, str]]:
        given = self.answers.answers if self.answers else {}
        return [{"key": key, "question": question,
                 "answer": (given.get(key) or {}).get("answer", ""),
                 "answer_label": ANSWER_LABELS.get((given.get(key) or {}).get("answer", ""),
                                                   "Not answered"),
                 "note": (given.get(key) or {}).get("note", "")}
                for key, question in QUESTIONS]


def support_for_client(client: User, limit: int = 5) -> list[SupportEntry]:
    """The client's latest "not on track" alerts with their answers: two queries."""
    alerts = list(Alert.objects.filter(client=client, kind=Alert.Kind.NOT_ON_TRACK)
                  .order_by("-created_at")[:limit])
    answers = support_answers_for(alerts)
    return [SupportEntry(alert=alert, answers=answers.get(alert.pk)) for alert in alerts]


# --- charts and badges --------------------------------------------------------------------------

STATUS_ORDER = (PathStatus.NOT_ON_TRACK, PathStatus.WATCH, PathStatus.ON_TRACK,
                PathStatus.TOO_FEW)


@dataclass(frozen=True)
class ExpectedView:
    """One instrument's expected range for a chart: (moment, lower, upper) from the episode's
    baseline to the latest score, and the reading at the latest score."""

    path: ClientPath
    band: list[tuple[datetime, float, float]]

    @property
    def reading(self) -> PathReading:
        return self.path.reading


def band_samples(path: ClientPath, zone: tzinfo | None = None,
                 ) -> list[tuple[datetime, float, float]]:
    """Pure: the range every half week from the baseline to the latest score, and at it."""
    tail, model = path.tail, path.model
    stratum = path.reading.stratum
    if stratum is None or not tail.points:
        return []
    last = tail.points[-1][0]
    steps = [step / 2 for step in range(int(last * 2) + 1)] + [last]
    samples = []
    for weeks in sorted(set(steps)):
        band = expected_at(model, stratum, tail.baseline, weeks)
        moment = tail.baseline_at + timedelta(seconds=weeks * WEEK_SECONDS)
        samples.append((moment.astimezone(zone) if zone else moment, band.lower, band.upper))
    return samples


def expected_views(client: User, zone: tzinfo | None = None) -> dict[str, ExpectedView]:
    """The client's expected ranges, per instrument of the open episode: two queries."""
    return {path.instrument_key: ExpectedView(path=path, band=band_samples(path, zone))
            for path in client_paths([client.pk]).get(client.pk, [])}


@dataclass(frozen=True)
class PathBadge:
    """A client's worst path status across instruments, with the one that set it."""

    status: PathStatus
    instrument_key: str
    reading: PathReading | None

    @property
    def colour(self) -> str:
        return COLOURS[self.status]

    @property
    def words(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def css(self) -> str:
        return STATUS_CSS[self.status]

    @property
    def title(self) -> str:
        return short_title(self.instrument_key)


def path_badges(client_ids: list[int]) -> dict[int, PathBadge]:
    """For each client with an open episode and a path instrument scored in it: the worst
    status (red, then amber, green, grey). Two queries."""
    found: dict[int, PathBadge] = {}
    for client_id, paths in client_paths(client_ids).items():
        worst = min(paths, key=lambda path: (STATUS_ORDER.index(path.reading.status),
                                             path.instrument_key))
        found[client_id] = PathBadge(status=worst.reading.status,
                                     instrument_key=worst.instrument_key, reading=worst.reading)
    return found


def not_on_track_alert_for_staff(user: User, alert_id: int) -> Alert:
    """A "not on track" alert about a client `user` may see; Alert.DoesNotExist otherwise."""
    return Alert.objects.select_related("client").get(
        pk=alert_id, kind=Alert.Kind.NOT_ON_TRACK, client__in=clients_visible_to(user))


def path_for_series(models: dict[str, PathModel], instrument_key: str,
                    points: list[tuple[datetime, float]],
                    consecutive: int = DEFAULT_CONSECUTIVE) -> ExpectedView | None:
    """Pure: an episode's whole series (oldest first; the first is the baseline) read against
    the instrument's path, for a report; None without a path."""
    model = models.get(instrument_key)
    if model is None or not points:
        return None
    (start, baseline), later = points[0], points[1:]
    tail = EpisodeTail(client_id=0, episode_id=0, instrument_key=instrument_key,
                       baseline=baseline, baseline_at=start,
                       points=tuple((weeks_between(start, at), total) for at, total in later),
                       latest_response_id=None)
    path = ClientPath(instrument_key=instrument_key, model=model, tail=tail,
                      reading=read_path(model, baseline, list(tail.points), consecutive))
    if path.reading.stratum is None:
        return None
    return ExpectedView(path=path, band=band_samples(path))


def expected_range_words(view: ExpectedView) -> str:
    """The clinician's description of the shaded range."""
    stratum = view.reading.stratum
    if stratum is None:
        return ""
    source = ("this practice's own curve, " + f"{stratum.episodes} episodes"
              if stratum.episodes else "the default path")
    return (f"Shaded: the expected range for a baseline of {view.path.tail.baseline:g}"
            f" ({stratum.band.replace('_', ' ')}; {source}, {stratum.version}).")


# --- reports -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PathFigures:
    """Closed episodes of one instrument with a path: how many were ever not on track (an alert
    raised during the episode), and of those, how many ended back within or better than the
    expected range (recovered)."""

    instrument_key: str
    episodes: int  # with a baseline in a band that has a path and a later score
    ever_not_on_track: Rate
    recovered: Rate

    @property
    def title(self) -> str:
        return short_title(self.instrument_key)


def path_figures(episodes: list[Episode]) -> list[PathFigures]:
    """Three queries, whatever the number of episodes."""
    models = path_models()
    scores = episode_scores(episodes, list(models))
    alerted: dict[tuple[int, str], list[datetime]] = {}
    for client_id, key, created_at in (
            Alert.objects.filter(kind=Alert.Kind.NOT_ON_TRACK,
                                 client_id__in={episode.client_id for episode in episodes})
            .values_list("client_id", "dedupe_key", "created_at")):
        alerted.setdefault((client_id, key.rsplit(":", 1)[-1]), []).append(created_at)
    counts: dict[str, list[int]] = {}
    for episode in episodes:
        for key, pair in scores.get(episode.pk, {}).items():
            model = models[key]
            baseline = float(pair.baseline.total)
            if not pair.is_paired or model.stratum_for(baseline) is None:
                continue
            row = counts.setdefault(key, [0, 0, 0])
            row[0] += 1
            ever = any(episode.started_at <= moment <= (episode.ended_at or moment)
                       for moment in alerted.get((episode.client_id, key), []))
            if not ever:
                continue
            row[1] += 1
            weeks = weeks_between(pair.baseline.submitted_at, pair.latest.submitted_at)
            final = read_path(model, baseline, [(weeks, float(pair.latest.total))], 1)
            row[2] += final.worse_in_a_row == 0
    return [PathFigures(instrument_key=key, episodes=total,
                        ever_not_on_track=Rate(ever, total), recovered=Rate(recovered, ever))
            for key, (total, ever, recovered) in sorted(counts.items())]
