"""Reads of measurement data. History-length independent: each selector runs a fixed number of
queries whatever the number of responses."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from practice.access import clients_visible_to
from practice.measurement import schedule
from practice.measurement.definitions import InstrumentDefinition, definition_from_dict
from practice.measurement.library import UnknownInstrument, get_definition, shipped_keys
from practice.measurement.models import Alert, Assignment, PracticeInstrument, Response
from practice.measurement.scoring import (
    NoReliableChangeThreshold,
    ReliableChange,
    TalkingTherapiesClass,
    reliable_change,
    talking_therapies_outcome,
)
from tenants.accounts.models import User
from tenants.models import Practice

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def instrument_definition(key: str, version: int | None = None) -> InstrumentDefinition:
    """A shipped or practice-defined definition (latest published unless pinned)."""
    if key in shipped_keys():
        return get_definition(key, version)
    rows = PracticeInstrument.objects.filter(key=key)
    row = (rows.filter(version=version) if version is not None
           else rows.filter(status=PracticeInstrument.Status.PUBLISHED).order_by("-version")
           ).first()
    if row is None:
        raise UnknownInstrument(f"no instrument {key!r}" + (f" v{version}" if version else ""))
    return definition_from_dict(row.definition, validate=False)


def instruments_offered(practice: Practice) -> list[InstrumentDefinition]:
    """What clinicians may assign: the practice's shipped choices and its published own."""
    offered = [get_definition(key) for key in practice.instrument_keys if key in shipped_keys()]
    latest: dict[str, PracticeInstrument] = {}
    for row in PracticeInstrument.objects.filter(
            status=PracticeInstrument.Status.PUBLISHED).order_by("key", "version"):
        latest[row.key] = row
    offered += [definition_from_dict(row.definition, validate=False) for row in latest.values()]
    return offered


def responses_due(client: User) -> QuerySet[Response]:
    return (Response.objects.filter(client=client, status__in=[Response.Status.PENDING,
                                                               Response.Status.IN_PROGRESS])
            .order_by("due_at", "pk"))


def schedules_owe(client: User, *, now: datetime, tz_name: str) -> bool:
    """Whether ``services.responses_materialize`` has anything to write for the client now:
    an occurrence up to today (their local date) not created yet, or an older one still pending
    that the newest makes missed. One query, whatever the history; a page can then skip the
    locked write path (the scheduler materialises every 30 minutes, so it rarely owes)."""
    today = schedule.local_today(now, tz_name)
    rows = (Assignment.objects.filter(client=client, ended_at__isnull=True)
            .annotate(latest=Max("responses__occurrence_date"),
                      oldest_pending=Min("responses__occurrence_date", filter=Q(
                          responses__status=Response.Status.PENDING)))
            .values_list("frequency", "starts_on", "ends_on", "latest", "oldest_pending"))
    for frequency, starts_on, ends_on, latest, oldest_pending in rows:
        if frequency == Assignment.Frequency.ONCE:
            newest = starts_on
        else:
            dates = schedule.occurrence_dates(frequency, starts_on, today, ends_on)
            if not dates:
                continue
            newest = dates[-1]
        if latest is None or latest < newest:
            return True
        if oldest_pending is not None and oldest_pending < newest:
            return True
    return False


def score_history(client: User, instrument_key: str) -> list[Response]:
    """Submitted, scored responses in time order, without those entered in error."""
    return list(
        Response.objects.filter(client=client, instrument_key=instrument_key,
                                status=Response.Status.SUBMITTED, is_scored=True,
                                entered_in_error_at__isnull=True)
        .only("id", "total", "band_key", "band_label", "submitted_at", "flags",
              "definition_version", "instrument_key", "subscales")
        .order_by("submitted_at", "pk")
    )


@dataclass(frozen=True)
class Change:
    baseline: Decimal | None
    previous: Decimal | None
    latest: Decimal | None
    from_baseline: Decimal | None
    from_previous: Decimal | None
    reliable: ReliableChange | None  # baseline -> latest
    talking_therapies: TalkingTherapiesClass | None


def change_summary(definition: InstrumentDefinition, history: Sequence[Response | ScorePoint],
                   practice_threshold: float | None = None) -> Change:
    totals = [response.total for response in history if response.total is not None]
    if not totals:
        return Change(None, None, None, None, None, None, None)
    baseline, latest = totals[0], totals[-1]
    previous = totals[-2] if len(totals) > 1 else None
    reliable: ReliableChange | None = None
    talking: TalkingTherapiesClass | None = None
    if len(totals) > 1:
        try:
            reliable = reliable_change(definition, float(baseline), float(latest),
                                       practice_threshold=practice_threshold)
        except NoReliableChangeThreshold:
            reliable = None
        if definition.key in ("phq9", "gad7"):
            talking = talking_therapies_outcome(definition, float(baseline),
                                                float(latest)).outcome
    return Change(
        baseline=baseline, previous=previous, latest=latest,
        from_baseline=latest - baseline,
        from_previous=(latest - previous) if previous is not None else None,
        reliable=reliable, talking_therapies=talking,
    )


def alert_inbox(user: User) -> QuerySet[Alert]:
    now = timezone.now()
    return (Alert.objects.filter(recipients=user)
            .exclude(status=Alert.Status.RESOLVED)
            .exclude(snoozed_until__gt=now)
            .select_related("client", "response")
            # Urgent first ("routine" sorts before "urgent" alphabetically).
            .order_by(_urgent_first(), "-created_at"))


def open_risk_alerts(client: User) -> QuerySet[Alert]:
    return Alert.objects.filter(client=client, severity=Alert.Severity.URGENT).exclude(
        status=Alert.Status.RESOLVED)


def active_assignments(client: User) -> QuerySet[Assignment]:
    return Assignment.objects.filter(client=client, ended_at__isnull=True)


def last_submitted_before(client: User, moment: datetime) -> Response | None:
    return (Response.objects.filter(client=client, status=Response.Status.SUBMITTED,
                                    submitted_at__lt=moment).order_by("-submitted_at").first())


def instrument_definition_for_preview(key: str, version: int | None = None
                                      ) -> InstrumentDefinition:
    """For the scoring preview: a shipped definition, or a practice-defined version whatever its
    status (the newest unless pinned), so a draft can be checked before it is published."""
    if key in shipped_keys():
        return get_definition(key, version)
    rows = PracticeInstrument.objects.filter(key=key)
    row = (rows.filter(version=version) if version is not None
           else rows.order_by("-version")).first()
    if row is None:
        raise UnknownInstrument(f"no instrument {key!r}" + (f" v{version}" if version else ""))
    # A draft may not have been validated yet: validate it now (DefinitionError lists every
    # problem) rather than score a broken definition.
    return definition_from_dict(row.definition, validate=True)


def submitted_responses(client: User, instrument_key: str | None = None) -> QuerySet[Response]:
    """A client's submitted responses, newest first; those entered in error are included (they
    carry their marking) so an export or an audit view can show them."""
    responses = Response.objects.filter(client=client, status=Response.Status.SUBMITTED)
    if instrument_key:
        responses = responses.filter(instrument_key=instrument_key)
    return responses.order_by("-submitted_at", "-pk")


def client_assignments(client: User) -> QuerySet[Assignment]:
    """Every assignment of a client, active and ended, newest first."""
    return Assignment.objects.filter(client=client).order_by("-created_at", "-pk")


def submitted_response_for_reader(user: User, response_id: int) -> Response:
    """A submitted response `user` may read: a client their own, clinical staff those of the
    clients they may see. Anything else raises Response.DoesNotExist, like a missing one."""
    reachable = (Response.objects.filter(client=user) if user.is_client
                 else Response.objects.filter(client__in=clients_visible_to(user)))
    return reachable.get(pk=response_id, status=Response.Status.SUBMITTED)


# --- staff clinic pages ------------------------------------------------------------------------
# Each selector below runs a fixed number of queries, whatever the length of the history.

class DefinitionCatalog:
    """Definitions for a page, loaded at once: shipped ones from the library, practice-defined
    ones from the rows fetched by ``definition_catalog`` (every version, so a response's pinned
    version can be read without another query)."""

    def __init__(self, rows: list[PracticeInstrument]) -> None:
        self._rows = {(row.key, row.version): row for row in rows}

    def get(self, key: str, version: int | None = None) -> InstrumentDefinition | None:
        """The pinned version, or the latest published (else latest) one; None if unknown."""
        if key in shipped_keys():
            try:
                return get_definition(key, version)
            except UnknownInstrument:
                return get_definition(key)
        candidates = sorted((row for (row_key, _), row in self._rows.items() if row_key == key),
                            key=lambda row: row.version)
        chosen = next((row for row in candidates if row.version == version), None)
        if chosen is None:
            published = [row for row in candidates
                         if row.status == PracticeInstrument.Status.PUBLISHED]
            pool = published or candidates
            chosen = pool[-1] if pool else None
        if chosen is None:
            return None
        return definition_from_dict(chosen.definition, validate=False)


def definition_catalog(keys: Iterable[str]) -> DefinitionCatalog:
    wanted = {key for key in keys if key not in shipped_keys()}
    if not wanted:
        return DefinitionCatalog([])
    return DefinitionCatalog(list(PracticeInstrument.objects.filter(key__in=wanted)))


CASELOAD_INSTRUMENTS = ("phq9", "gad7")


@dataclass(frozen=True)
class CaseloadRow:
    client: User
    latest: dict[str, Response]  # instrument key -> latest scored response (PHQ-9, GAD-7)
    open_risk_alerts: int


def caseload(user: User) -> list[CaseloadRow]:
    """The clients `user` may see, with their latest PHQ-9 and GAD-7 and open risk alerts:
    three queries, whatever the number of clients and responses."""
    visible = clients_visible_to(user)
    clients = list(visible.select_related("client_profile").order_by("full_name", "pk"))
    latest: dict[int, dict[str, Response]] = {}
    for response in (Response.objects
                     .filter(client__in=visible, instrument_key__in=CASELOAD_INSTRUMENTS,
                             status=Response.Status.SUBMITTED, is_scored=True,
                             entered_in_error_at__isnull=True)
                     .order_by("client_id", "instrument_key", "-submitted_at", "-pk")
                     .distinct("client_id", "instrument_key")
                     .only("id", "client_id", "instrument_key", "total", "band_key",
                           "band_label", "submitted_at")):
        latest.setdefault(response.client_id, {})[response.instrument_key] = response
    counts = dict(Alert.objects.filter(client__in=visible, severity=Alert.Severity.URGENT)
                  .exclude(status=Alert.Status.RESOLVED)
                  .values_list("client_id").annotate(count=Count("id")).order_by())
    return [CaseloadRow(client=client, latest=latest.get(client.pk, {}),
                        open_risk_alerts=counts.get(client.pk, 0)) for client in clients]


def _urgent_first() -> Case:
    return Case(When(severity=Alert.Severity.URGENT, then=Value(0)), default=Value(1))


def client_open_alerts(client: User) -> QuerySet[Alert]:
    """Every unresolved alert about a client (snoozed ones too), urgent first."""
    return (Alert.objects.filter(client=client).exclude(status=Alert.Status.RESOLVED)
            .select_related("response").order_by(_urgent_first(), "-created_at"))


class MissedCount(TypedDict):
    missed_count: int


@dataclass(frozen=True)
class ClientRecord:
    history: WindowedHistory
    open_alerts: list[Alert]
    assignments: list[WithAnnotations[Assignment, MissedCount]]  # active
    due: list[Response]  # pending or in progress, soonest first
    catalog: DefinitionCatalog


_HISTORY_FIELDS = ("id", "client_id", "assignment_id", "instrument_key", "definition_version",
                   "status", "submitted_at", "is_scored", "total", "band_key", "band_label",
                   "subscales", "subscale_bands", "flags", "advisories", "missing_items",
                   "prorated", "entered_in_error_at", "entered_in_error_reason")


def client_history(client: User) -> list[Response]:
    """Every submitted response of a client, oldest first, with their entered-in-error
    marking (one query)."""
    return list(Response.objects.filter(client=client, status=Response.Status.SUBMITTED)
                .only(*_HISTORY_FIELDS).order_by("submitted_at", "pk"))


def client_record(client: User, *, newest: int | None, show_all: str = "",
                  zone: ZoneInfo | None = None) -> ClientRecord:
    """What the clinician's page of one client shows: seven queries (eight with practice-defined
    instruments), whatever the length of the history; the newest ``newest`` responses of each
    instrument are listed (all of ``show_all``)."""
    history = windowed_history(client, newest=newest, show_all=show_all, chart_zone=zone)
    # A subquery over the partial index of missed responses (a join would read every one).
    missed = (Response.objects.filter(assignment_id=OuterRef("pk"), status=Response.Status.MISSED)
              .order_by().values("assignment_id").annotate(count=Count("pk")).values("count"))
    assignments = list(active_assignments(client)
                       .annotate(missed_count=Coalesce(Subquery(missed), 0))
                       .order_by("created_at", "pk"))
    due = list(responses_due(client))
    keys = set(history.keys) | {assignment.instrument_key for assignment in assignments}
    return ClientRecord(history=history, open_alerts=list(client_open_alerts(client)),
                        assignments=assignments, due=due, catalog=definition_catalog(keys))


@dataclass(frozen=True)
class PreSessionReview:
    since: datetime
    # Scores: the baseline, the two before ``since`` and every one since; listed: those since
    # ``since``, none in error.
    history: WindowedHistory
    open_alerts: list[Alert]
    overdue: list[Response]  # open and past due, or missed since ``since``
    catalog: DefinitionCatalog


def pre_session_review(client: User, *, since: datetime, now: datetime) -> PreSessionReview:
    """Everything a clinician scans before a session: six queries (seven with practice-defined
    instruments). The scores that change from the baseline and from the previous score need are
    read as tuples, whatever the length of the history; only the new responses are loaded
    whole."""
    history = windowed_history(client, newest=None, since=since, with_errors=False,
                               points_around_since=True)
    overdue = list(
        Response.objects.filter(client=client, due_at__lt=now)
        .filter(Q(status__in=[Response.Status.PENDING, Response.Status.IN_PROGRESS])
                | Q(status=Response.Status.MISSED, due_at__gte=since))
        .order_by("due_at", "pk"))
    keys = set(history.keys) | {response.instrument_key for response in overdue}
    return PreSessionReview(since=since, history=history,
                            open_alerts=list(client_open_alerts(client)), overdue=overdue,
                            catalog=definition_catalog(keys))


def practice_instrument_versions() -> list[PracticeInstrument]:
    """Every version of every practice-defined instrument, by key, newest version first."""
    return list(PracticeInstrument.objects.select_related("created_by").order_by("key",
                                                                                 "-version"))


def practice_instrument_latest(key: str) -> PracticeInstrument:
    """The newest version of a practice-defined instrument, draft or published; DoesNotExist
    when there is none."""
    row = PracticeInstrument.objects.filter(key=key).order_by("-version").first()
    if row is None:
        raise PracticeInstrument.DoesNotExist(key)
    return row


def alert_for_staff(user: User, alert_id: int) -> Alert:
    """An alert about a client `user` may see; DoesNotExist otherwise, like a missing one."""
    return Alert.objects.get(pk=alert_id, client__in=clients_visible_to(user))


# --- a client's history, windowed -------------------------------------------------------------
# The clinician's client page and review read five years of daily check-ins as fast as one
# month: the scores the charts and the change need come as plain tuples (no model objects), and
# only the responses a table lists are loaded whole.

@dataclass(frozen=True)
class ScorePoint:
    """A scored response that counts (submitted, not entered in error, with a total)."""

    pk: int
    submitted_at: datetime
    total: Decimal
    band_label: str
    subscales: dict[str, Any]
    version: int | None = None  # the definition version it was scored with


def _unordered(responses: QuerySet[Any]) -> QuerySet[Any]:
    """The rows of ``responses`` in any order (a sliced or combined query keeps its own)."""
    if responses.query.combinator or responses.query.is_sliced:
        return responses
    return responses.order_by()


def _bounded(responses: QuerySet[Response], keys: list[str], *, first: int,  # noqa: PLR0913
             newest: int, whole: Iterable[str] = (), before: datetime | None = None,
             since: QuerySet[Response] | None = None) -> QuerySet[Response]:
    """One statement reading a bounded number of ``responses`` whatever the history's length:
    per instrument of ``keys`` the ``first`` oldest and the ``newest`` newest (before
    ``before``), every one of the instruments in ``whole``, and ``since``. Each part walks the
    (client, instrument_key, submitted_at) index from one end; a window over the whole history
    would read and sort all of it."""
    wholly = [key for key in keys if key in set(whole)]
    parts = [responses.filter(instrument_key__in=wholly).order_by()] if wholly else []
    if since is not None:
        parts.append(since.order_by())
    for key in keys:
        if key in wholly:
            continue
        of_key = responses.filter(instrument_key=key)
        if first:
            parts.append(of_key.order_by("submitted_at", "pk")[:first])
        if before is not None:
            of_key = of_key.filter(submitted_at__lt=before)
        parts.append(of_key.order_by("-submitted_at", "-pk")[:newest])
    if not parts:
        return responses.none()
    # UNION (not ALL): the oldest and the newest of a short series are the same rows.
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


@dataclass(frozen=True)
class ChartSeries:
    """What a trend chart draws, read in SQL: every score (``unit`` "score"), or for a long
    series the mean of each week or month (in the client's timezone) at its last moment."""

    unit: str  # "score", "week" or "month"
    points: list[tuple[datetime, float]]  # oldest first
    count: int  # the valid scores behind the points

    @property
    def is_averaged(self) -> bool:
        return self.unit != "score"


@dataclass(frozen=True)
class WindowedHistory:
    keys: list[str]  # instruments answered, in the order of their first response
    # Per instrument, oldest first: every valid score, or (``newest`` given) those a table and
    # the change need: the first (baseline), the newest ``newest`` + 1, and all of the shown
    # instrument and of instruments with banded subscales (charted per subscale).
    points: dict[str, list[ScorePoint]]
    rows: dict[str, list[Response]]  # per instrument: the responses to list, oldest first
    counts: dict[str, int]  # per instrument: every submitted response (entered in error too)
    # Per instrument: the definition version of its latest response (None: the latest).
    versions: dict[str, int | None]
    charts: dict[str, ChartSeries] = dataclasses.field(default_factory=dict)


# A chart draws at most this many points: every score while there are no more (three years of
# weekly questionnaires, five months of daily check-ins), else weekly means, else (past three
# years of weeks) monthly means.
CHART_POINTS = 156


def chart_unit(count: int, first: datetime | None, last: datetime | None) -> str:
    """How a series of ``count`` valid scores from ``first`` to ``last`` is charted."""
    if first is None or last is None or count <= CHART_POINTS:
        return "score"
    # Weeks touched: whole weeks in the span, plus the partial ones at either end.
    return "week" if (last - first).days // 7 + 2 <= CHART_POINTS else "month"


def _chart_series(valid: QuerySet[Response], units: dict[str, str], counts: dict[str, int],
                  zone: ZoneInfo) -> dict[str, ChartSeries]:
    """One query: per instrument, each score, or the mean of each week or month, as ``units``
    says. A bucket's moment is its last score's; every other figure on the page (baseline,
    latest, bands, reliable change, risk) is read from the exact scores."""
    averaged = {unit: [key for key, chosen in units.items() if chosen == unit]
                for unit in ("week", "month")}
    bucket = Case(*[When(instrument_key__in=keys, then=Trunc("submitted_at", unit,
                                                             tzinfo=zone))
                    for unit, keys in averaged.items() if keys],
                  default=F("submitted_at"), output_field=DateTimeField())
    # Scores are their own bucket even when two share a moment.
    single = Case(*[When(instrument_key__in=keys, then=Value(0))
                    for keys in averaged.values() if keys],
                  default=F("pk"), output_field=IntegerField())
    series: dict[str, list[tuple[datetime, float]]] = {}
    # Grouped by hashing and put in order here: a few hundred buckets, where sorting every
    # score by its bucket in SQL cost a third of the query over years of daily check-ins.
    rows = sorted(valid.filter(instrument_key__in=list(units))
                  .annotate(bucket=bucket, single=single)
                  .values("instrument_key", "bucket", "single")
                  .annotate(moment=Max("submitted_at"), mean=Avg("total"))
                  .order_by()
                  .values_list("instrument_key", "moment", "single", "mean"))
    for key, moment, _single, mean in rows:
        series.setdefault(key, []).append((moment, round(float(mean), 2)))
    return {key: ChartSeries(units[key], series.get(key, []), counts[key]) for key in units}


@functools.cache
def _unbanded_subscale_keys() -> tuple[str, ...]:
    """Shipped instruments with no banded subscale (practice-defined ones may have some)."""
    return tuple(sorted(key for key in shipped_keys()
                        if not any(subscale.bands for subscale in get_definition(key).subscales)))


def windowed_history(client: User, *, newest: int | None, show_all: str = "",  # noqa: PLR0913
                     since: datetime | None = None, with_errors: bool = True,
                     points_around_since: bool = False,
                     chart_zone: ZoneInfo | None = None, with_rows: bool = True,
                     exclude: Collection[str] = ()) -> WindowedHistory:
    """Three queries whatever the history's length (four with ``chart_zone``): per
    instrument, the count, first date and latest version; the valid scores as tuples; and the
    responses to list: the ``newest`` of each instrument (all of ``show_all``; all when
    ``newest`` is None), or those submitted since ``since``. ``with_errors`` False leaves
    responses entered in error out of the list (the review's). With ``newest``, only the scores
    the listed rows and the change need are read (see ``WindowedHistory.points``); with
    ``chart_zone``, each instrument's chart series too (``ChartSeries``: a bounded number of
    points, weeks and months in that timezone).

    ``points_around_since`` (with ``since``; the review, which draws no chart) reads only the
    scores a table and the change need: per instrument the first (the baseline), the two last
    before ``since`` (the previous of the first new one, and the latest and previous when there
    is nothing new) and every one since; the listed rows, all since ``since``, then find their
    baseline and previous exactly as in the whole series.

    ``with_rows`` False reads no responses to list (``rows`` is empty: the client's own trend
    page lists the scores themselves); instruments in ``exclude`` are not read at all."""
    submitted = Response.objects.filter(client=client, status=Response.Status.SUBMITTED)
    if exclude:
        submitted = submitted.exclude(instrument_key__in=list(exclude))
    points: dict[str, list[ScorePoint]] = {}
    # Subscale scores are charted only for instruments with banded subscales: the others' are
    # not read (a JSON document per daily check-in is most of the cost of a long history).
    subscales = Case(When(instrument_key__in=_unbanded_subscale_keys(), then=Value(None)),
                     default=F("subscales"))
    valid = submitted.filter(entered_in_error_at__isnull=True, total__isnull=False)
    summary = list(submitted.order_by().values("instrument_key").annotate(
        count=Count("pk"), first=Min("submitted_at"),
        valid_count=Count("pk", filter=Q(entered_in_error_at__isnull=True,
                                         total__isnull=False)),
        valid_first=Min("submitted_at", filter=Q(entered_in_error_at__isnull=True,
                                                 total__isnull=False)),
        valid_last=Max("submitted_at", filter=Q(entered_in_error_at__isnull=True,
                                                total__isnull=False)))
        .order_by("first", "instrument_key"))
    keys = [row["instrument_key"] for row in summary if row["valid_count"]]
    valid = valid.values_list("id", "instrument_key", "submitted_at", "total", "band_label",
                              subscales, "definition_version")
    if newest is not None and since is None:
        # Baseline, the newest rows and the one before them (their previous score), all of the
        # shown instrument, all of instruments whose subscales are charted.
        whole = [key for key in keys
                 if key == show_all or key not in _unbanded_subscale_keys()]
        valid = _bounded(valid, keys, first=1, newest=newest + 1, whole=whole)
    elif points_around_since and since is not None:
        valid = _bounded(valid, keys, first=1, newest=2, before=since,
                         since=valid.filter(submitted_at__gte=since))
    # Time order is set here: a union (or a single sliced part) cannot be reordered in SQL.
    for pk, key, moment, total, band, scales, version in sorted(
            _unordered(valid), key=lambda row: (row[2], row[0])):
        points.setdefault(key, []).append(ScorePoint(pk, moment, total, band, scales or {},
                                                     version))
    listed = submitted if with_errors else submitted.filter(entered_in_error_at__isnull=True)
    listed = listed.only(*_HISTORY_FIELDS)
    if since is not None:
        listed = listed.filter(submitted_at__gte=since)
    elif newest is not None:
        listed = _bounded(listed, [row["instrument_key"] for row in summary], first=0,
                          newest=newest, whole=[show_all] if show_all else [])
    rows: dict[str, list[Response]] = {}
    for response in sorted(_unordered(listed) if with_rows else [],
                           key=lambda response: (response.submitted_at, response.pk)):
        rows.setdefault(response.instrument_key, []).append(response)
    charts = {}
    if chart_zone is not None:
        counted = [row for row in summary if row["valid_count"]]
        charts = _chart_series(
            submitted.filter(entered_in_error_at__isnull=True, total__isnull=False),
            {row["instrument_key"]: chart_unit(row["valid_count"], row["valid_first"],
                                               row["valid_last"]) for row in counted},
            {row["instrument_key"]: row["valid_count"] for row in counted}, chart_zone)
    return WindowedHistory(
        keys=[row["instrument_key"] for row in summary], points=points, rows=rows,
        counts={row["instrument_key"]: row["count"] for row in summary},
        versions=_latest_versions([row["instrument_key"] for row in summary], rows, points,
                                  rows_end_at_latest=(with_rows and with_errors
                                                      and newest is not None and since is None)),
        charts=charts)


def _latest_versions(keys: list[str], rows: dict[str, list[Response]],
                     points: dict[str, list[ScorePoint]], *, rows_end_at_latest: bool
                     ) -> dict[str, int | None]:
    """Per instrument, the definition version its latest response was scored with: the newest
    listed row's when the rows end at the latest response (entered in error too), else the
    newest valid score's (None when there is none: the latest definition is read). Read from
    what was fetched anyway: taking it in SQL aggregated (and sorted) every response."""
    versions: dict[str, int | None] = {}
    for key in keys:
        if rows_end_at_latest and rows.get(key):
            versions[key] = rows[key][-1].definition_version
        else:
            versions[key] = points[key][-1].version if points.get(key) else None
    return versions
