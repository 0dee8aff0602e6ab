"""Reads: the practice's paths (the defaults, with its adopted calibrations in their place), the
scores of open episodes the paths are read against, the data a calibration is fitted on, and the
settings. Every read is a fixed number of queries, whatever the number of clients or scores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TypeVar

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from practice.access import clients_visible_to
from practice.appointments.models import Appointment
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
    TimeScale,
    default_models,
    expected_at,
    read_path,
)
from practice.measurement.charts import ExpectedAxis
from practice.measurement.library import get_definition
from practice.measurement.models import Alert, Response
from practice.outcomes.maths import Rate
from practice.outcomes.models import Episode
from practice.outcomes.selectors import episode_scores
from tenants.accounts.models import User

WEEK_SECONDS = 7 * 24 * 3600.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def path_models(scale: TimeScale = TimeScale.WEEKS) -> dict[str, PathModel]:
    """The paths this practice runs on, on one time scale: one query. A calibration is fitted
    on weeks and replaces the weeks path only; the sessions path stays the default."""
    if scale is TimeScale.SESSIONS:
        return dict(default_models(TimeScale.SESSIONS))
    return apply_calibrations(default_models(), adopted_calibrations())


def path_model_sets() -> dict[TimeScale, dict[str, PathModel]]:
    """The practice's paths on both scales: one query."""
    return {TimeScale.WEEKS: path_models(), TimeScale.SESSIONS: path_models(TimeScale.SESSIONS)}


# The statuses of an appointment that took place (a no-show, a cancellation or a booking not
# yet marked is no session held).
HELD_STATUSES = (Appointment.Status.COMPLETED,)


# --- the scores of open episodes -----------------------------------------------------------------

@dataclass(frozen=True)
class EpisodeTail:
    client_id: int
    episode_id: int
    instrument_key: str
    baseline: float
    baseline_at: datetime
    # After the baseline, oldest first: (time since the baseline on ``scale``, score), at most
    # the length asked for; ``weeks`` and ``sessions`` (held since the baseline, before the
    # score) of the same points.
    points: tuple[tuple[float, float], ...]
    latest_response_id: int | None
    scale: TimeScale = TimeScale.WEEKS
    weeks: tuple[float, ...] = ()
    sessions: tuple[int, ...] = ()


# Two index probes per open episode and instrument (response history: client, instrument,
# submitted at): the first score in the episode, and its latest ones; and per latest score one
# probe of the client's appointments (client, starts at): the sessions held in the episode before
# it, and how many of those since the baseline.
# Moments come back as whole microseconds since the epoch: exact, and an integer is parsed many
# times faster than a timestamp (a caseload's tails are thousands of rows).
_TAIL_SQL = """
    SELECT e.client_id, e.id, k.key, b.id, b.total,
           (extract(epoch FROM b.submitted_at) * 1000000)::bigint, t.id, t.total,
           (extract(epoch FROM t.submitted_at) * 1000000)::bigint, s.since_baseline, s.in_episode
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
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE a.starts_at >= b.submitted_at) AS since_baseline,
               count(*) AS in_episode
        FROM {appointment} a
        WHERE a.client_id = e.client_id AND a.status = ANY(%s::text[])
          AND a.starts_at >= e.started_at AND a.starts_at < t.submitted_at
    ) AS s
    WHERE e.ended_at IS NULL AND e.client_id IN ({clients})
"""


# The session parameters assume sessions about weekly. Where they are sparser than one in this
# many weeks since the baseline (sessions recorded only long after measuring began, or rare
# visits), a session clock would run slow and keep the range near the baseline for months: a
# client getting worse would be told late. Such a client is read on weeks.
SPARSEST_SESSIONS_WEEKS = 3


def scale_for(held_in_episode: int, held_since_baseline: int = 0,
              weeks_since_baseline: float = 0.0) -> TimeScale:
    """Sessions where the client has held a session in the episode (before the latest score,
    so a reading changes only with a new score) and, since the baseline, at least one in every
    SPARSEST_SESSIONS_WEEKS weeks; weeks otherwise."""
    if not held_in_episode:
        return TimeScale.WEEKS
    if held_since_baseline * SPARSEST_SESSIONS_WEEKS < weeks_since_baseline:
        return TimeScale.WEEKS
    return TimeScale.SESSIONS


def episode_tails(clients: QuerySet[User] | Iterable[int], instrument_keys: Iterable[str],
                  length: int) -> list[EpisodeTail]:
    """For each open episode of ``clients`` and each instrument scored in it: the baseline and
    the latest ``length`` scores after it, on sessions where the client has held sessions in the
    episode, else on weeks. One query."""
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
                           appointment=Appointment._meta.db_table, clients=clients_sql)
    groups: dict[tuple[int, str], dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [keys, length + 1, list(HELD_STATUSES), *clients_params])
        for (client_id, episode_id, key, first_id, first_total, first_at, latest_id, total,
             submitted_at, since_baseline, in_episode) in cursor.fetchall():
            group = groups.get((episode_id, key))
            if group is None:
                group = groups[(episode_id, key)] = {
                    "client_id": client_id, "episode_id": episode_id, "key": key,
                    "baseline": float(first_total), "at": first_at, "rows": []}
            if latest_id != first_id:
                group["rows"].append((submitted_at, latest_id, float(total), since_baseline,
                                      in_episode))
    tails = []
    for group in groups.values():
        rows = sorted(group["rows"])[-length:]
        # As weeks_between: whole microseconds apart, in weeks.
        weeks = tuple((row[0] - group["at"]) / 1_000_000 / WEEK_SECONDS for row in rows)
        scale = (scale_for(rows[-1][4], rows[-1][3], weeks[-1]) if rows
                 else TimeScale.WEEKS)
        sessions = tuple(row[3] for row in rows)
        times = sessions if scale is TimeScale.SESSIONS else weeks
        tails.append(EpisodeTail(
            client_id=group["client_id"], episode_id=group["episode_id"],
            instrument_key=group["key"], baseline=group["baseline"],
            baseline_at=EPOCH + timedelta(microseconds=group["at"]),
            points=tuple((float(time), row[2]) for time, row in zip(times, rows, strict=True)),
            latest_response_id=rows[-1][1] if rows else None, scale=scale, weeks=weeks,
            sessions=sessions))
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
    models = path_model_sets()
    found: dict[int, list[ClientPath]] = {}
    for tail in episode_tails(clients, models[TimeScale.WEEKS], consecutive):
        model = models[tail.scale][tail.instrument_key]
        found.setdefault(tail.client_id, []).append(ClientPath(
            instrument_key=tail.instrument_key, model=model, tail=tail,
            reading=read_tail(model, tail, consecutive)))
    return found


def read_tail(model: PathModel, tail: EpisodeTail,
              consecutive: int = DEFAULT_CONSECUTIVE) -> PathReading:
    """Pure: a tail read against the path on its own scale."""
    return read_path(model, tail.baseline, list(tail.points), consecutive,
                     weeks=list(tail.weeks) if tail.weeks else None)


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
    baseline to the latest score, the reading at the latest score, and the path's time axis
    (weeks or sessions since the baseline): its word and (moment, number) ticks."""

    path: ClientPath
    band: list[tuple[datetime, float, float]]
    ticks: list[tuple[datetime, str]] = field(default_factory=list)

    @property
    def reading(self) -> PathReading:
        return self.path.reading

    @property
    def axis(self) -> str:
        """The chart's label for the path's time axis (translated for the client's page)."""
        return _("Session") if self.path.model.scale is TimeScale.SESSIONS else _("Week")

    @property
    def axis_title(self) -> str:
        if self.path.model.scale is TimeScale.SESSIONS:
            return _("The shaded range is read by sessions held since the first score.")
        return _("The shaded range is read by weeks since the first score.")

    @property
    def chart_axis(self) -> ExpectedAxis:
        """For the chart (practice.measurement.charts.trend_svg)."""
        return ExpectedAxis(word=self.axis, title=self.axis_title, ticks=self.ticks)


# At most this many numbers along the path's time axis.
AXIS_TICKS = 9
# At most about this many points along the expected range's band, on weeks: every half week
# over the first DENSE_WEEKS (where the range bends), evenly after (where it is nearly flat).
BAND_SAMPLES = 80
DENSE_WEEKS = 26
_T = TypeVar("_T")


def _last_moment(tail: EpisodeTail) -> datetime:
    weeks = tail.weeks[-1] if tail.weeks else tail.points[-1][0]
    return tail.baseline_at + timedelta(seconds=weeks * WEEK_SECONDS)


def _thin(ticks: list[_T]) -> list[_T]:
    if len(ticks) <= AXIS_TICKS:
        return ticks
    step = -(-(len(ticks) - 1) // (AXIS_TICKS - 1))
    kept = ticks[::step]
    return kept if kept[-1] == ticks[-1] else [*kept, ticks[-1]]


def band_samples(path: ClientPath, zone: tzinfo | None = None,
                 sessions: Sequence[datetime] = ()) -> list[tuple[datetime, float, float]]:
    """Pure: on weeks, the range every half week from the baseline to the latest score (over a
    long episode, every half week for DENSE_WEEKS then evenly, at most BAND_SAMPLES times), and
    at it; on sessions, a step at each
    session held (``sessions``: their start times) between the baseline and the latest
    score."""
    return _band_and_ticks(path, zone, sessions)[0]


def _band_and_ticks(path: ClientPath, zone: tzinfo | None, sessions: Sequence[datetime],
                    ) -> tuple[list[tuple[datetime, float, float]], list[tuple[datetime, str]]]:
    tail, model = path.tail, path.model
    stratum = path.reading.stratum
    if stratum is None or not tail.points:
        return [], []

    def local(moment: datetime) -> datetime:
        return moment.astimezone(zone) if zone else moment

    def at(time: float) -> tuple[float, float]:
        band = expected_at(model, stratum, tail.baseline, time)
        return band.lower, band.upper

    end = _last_moment(tail)
    if model.scale is TimeScale.SESSIONS:
        held = sorted(moment for moment in sessions if tail.baseline_at <= moment < end)
        samples = [(local(tail.baseline_at), *at(0))]
        ticks = [(local(tail.baseline_at), "0")]
        for number, moment in enumerate(held, start=1):
            samples.append((local(moment - timedelta(seconds=1)), *at(number - 1)))
            samples.append((local(moment), *at(number)))
            ticks.append((local(moment), str(number)))
        samples.append((local(end), *at(len(held))))
        return samples, _thin(ticks)
    last = tail.points[-1][0]
    # Every half week while the range bends; over a long episode, the rest evenly, at most
    # BAND_SAMPLES in all: a chart of years has no room for more (a finer band only cost time).
    dense = min(last, DENSE_WEEKS)
    steps = [index * 0.5 for index in range(int(dense / 0.5) + 1)]
    if last > dense:
        step = max(0.5, (last - dense) / (BAND_SAMPLES - len(steps)))
        steps += [dense + index * step for index in range(1, int((last - dense) / step) + 1)]
    steps.append(last)
    samples = []
    for weeks in sorted(set(steps)):
        moment = tail.baseline_at + timedelta(seconds=weeks * WEEK_SECONDS)
        samples.append((local(moment), *at(weeks)))
    ticks = [(local(tail.baseline_at + timedelta(weeks=week)), str(week))
             for week in _thin(list(range(int(last) + 1)))]
    return samples, ticks


def held_sessions(client_id: int, since: datetime) -> list[datetime]:
    """The start times of the sessions the client has held since ``since``: one query."""
    return list(Appointment.objects.filter(client_id=client_id, status__in=HELD_STATUSES,
                                           starts_at__gte=since)
                .order_by("starts_at").values_list("starts_at", flat=True))


def expected_view(path: ClientPath, zone: tzinfo | None = None,
                  sessions: Sequence[datetime] = ()) -> ExpectedView:
    band, ticks = _band_and_ticks(path, zone, sessions)
    return ExpectedView(path=path, band=band, ticks=ticks)


def expected_views(client: User, zone: tzinfo | None = None) -> dict[str, ExpectedView]:
    """The client's expected ranges, per instrument of the open episode: two queries, three
    when a path is on sessions (their times, for the steps of the range)."""
    paths = client_paths([client.pk]).get(client.pk, [])
    on_sessions = [path for path in paths if path.model.scale is TimeScale.SESSIONS]
    sessions = (held_sessions(client.pk, min(path.tail.baseline_at for path in on_sessions))
                if on_sessions else [])
    return {path.instrument_key: expected_view(path, zone, sessions) for path in paths}


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


def path_for_series(models: dict[TimeScale, dict[str, PathModel]], instrument_key: str,
                    points: list[tuple[datetime, float]],
                    consecutive: int = DEFAULT_CONSECUTIVE, *,
                    sessions: Sequence[datetime] = (),
                    episode_start: datetime | None = None) -> ExpectedView | None:
    """Pure: an episode's whole series (oldest first; the first is the baseline) read against
    the instrument's path, for a report, on sessions when the client held one of ``sessions``
    (start times) in the episode before the latest score, else on weeks; None without a
    path."""
    if not points or instrument_key not in models[TimeScale.WEEKS]:
        return None
    (start, baseline), later = points[0], points[1:]
    since = episode_start or start
    end = later[-1][0] if later else start
    weeks = tuple(weeks_between(start, at) for at, _total in later)
    counts = tuple(sum(1 for moment in sessions if start <= moment < at) for at, _total in later)
    scale = scale_for(sum(1 for moment in sessions if since <= moment < end),
                      counts[-1] if counts else 0, weeks[-1] if weeks else 0.0)
    model = models[scale][instrument_key]
    times = counts if scale is TimeScale.SESSIONS else weeks
    tail = EpisodeTail(client_id=0, episode_id=0, instrument_key=instrument_key,
                       baseline=baseline, baseline_at=start,
                       points=tuple((float(time), total)
                                    for time, (_at, total) in zip(times, later, strict=True)),
                       latest_response_id=None, scale=scale, weeks=weeks, sessions=counts)
    path = ClientPath(instrument_key=instrument_key, model=model, tail=tail,
                      reading=read_tail(model, tail, consecutive))
    if path.reading.stratum is None:
        return None
    return expected_view(path, sessions=sessions)


def expected_range_words(view: ExpectedView) -> str:
    """The clinician's description of the shaded range."""
    stratum = view.reading.stratum
    if stratum is None:
        return ""
    source = ("this practice's own curve, " + f"{stratum.episodes} episodes"
              if stratum.episodes else "the default path")
    return (f"Shaded: the expected range for a baseline of {view.path.tail.baseline:g}"
            f" ({stratum.band.replace('_', ' ')}; {source}, {stratum.version}; "
            f"by {view.path.model.scale} since the baseline).")


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
    """Four queries, whatever the number of episodes."""
    models = path_model_sets()
    scores = episode_scores(episodes, list(models[TimeScale.WEEKS]))
    sessions: dict[int, list[datetime]] = {}
    for client_id, starts_at in (
            Appointment.objects.filter(client_id__in={episode.client_id for episode in episodes},
                                       status__in=HELD_STATUSES)
            .order_by("starts_at").values_list("client_id", "starts_at")):
        sessions.setdefault(client_id, []).append(starts_at)
    alerted: dict[tuple[int, str], list[datetime]] = {}
    for client_id, key, created_at in (
            Alert.objects.filter(kind=Alert.Kind.NOT_ON_TRACK,
                                 client_id__in={episode.client_id for episode in episodes})
            .values_list("client_id", "dedupe_key", "created_at")):
        alerted.setdefault((client_id, key.rsplit(":", 1)[-1]), []).append(created_at)
    counts: dict[str, list[int]] = {}
    for episode in episodes:
        for key, pair in scores.get(episode.pk, {}).items():
            baseline = float(pair.baseline.total)
            if not pair.is_paired or models[TimeScale.WEEKS][key].stratum_for(baseline) is None:
                continue
            row = counts.setdefault(key, [0, 0, 0])
            row[0] += 1
            ever = any(episode.started_at <= moment <= (episode.ended_at or moment)
                       for moment in alerted.get((episode.client_id, key), []))
            if not ever:
                continue
            row[1] += 1
            final = path_for_series(
                models, key, [(pair.baseline.submitted_at, baseline),
                              (pair.latest.submitted_at, float(pair.latest.total))], 1,
                sessions=sessions.get(episode.client_id, []), episode_start=episode.started_at)
            row[2] += final is not None and final.reading.worse_in_a_row == 0
    return [PathFigures(instrument_key=key, episodes=total,
                        ever_not_on_track=Rate(ever, total), recovered=Rate(recovered, ever))
            for key, (total, ever, recovered) in sorted(counts.items())]
