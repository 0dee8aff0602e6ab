"""Episode endpoints of the REST API: list a client's episodes with baseline and latest scores,
open one, close one with a reason; the caseload or practice outcome report. Owner and clinicians
(their caseload); a front desk user, a client and anyone out of reach get 404, like a missing
object."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from practice.access import client_for_staff
from practice.measurement.api.serializers import BAD_REQUEST, ErrorSerializer
from practice.measurement.api.views import CLINICAL, DENIED
from practice.measurement.selectors import definition_catalog
from practice.outcomes import selectors, services
from practice.outcomes.forms import report_filter_form, report_filters, report_zone
from practice.outcomes.maths import SMALL_CELL
from practice.outcomes.models import Episode
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInApiRequest


class ScoreSerializer(serializers.Serializer):
    response_id = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=8, decimal_places=2)
    band_key = serializers.CharField()
    band_label = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class InstrumentProgressSerializer(serializers.Serializer):
    instrument = serializers.CharField(source="instrument_key")
    title = serializers.CharField()
    baseline = ScoreSerializer()
    latest = ScoreSerializer(help_text="The final score once the episode is closed.")
    count = serializers.IntegerField(source="scores.count")
    change = serializers.DecimalField(max_digits=8, decimal_places=2)
    reliable_change = serializers.CharField(source="outcome.reliable", allow_null=True,
                                            default=None)
    clinically_significant_change = serializers.CharField(source="outcome.significance",
                                                          allow_null=True, default=None)
    talking_therapies = serializers.CharField(source="outcome.talking_therapies",
                                              allow_null=True, default=None)


class EpisodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    clinician = serializers.IntegerField(source="clinician_id", allow_null=True)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.ChoiceField(choices=Episode.EndReason.choices, allow_blank=True)
    end_note = serializers.CharField()
    instrument_keys = serializers.ListField(child=serializers.CharField())
    instruments = InstrumentProgressSerializer(many=True, required=False)


class EpisodeCloseSerializer(serializers.Serializer):
    end_reason = serializers.ChoiceField(choices=Episode.EndReason.choices)
    ended_at = serializers.DateTimeField(required=False,
                                         help_text="When it ended; now if left out.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


def _client(request: SignedInApiRequest, client_id: int) -> User:
    return client_for_staff(request.user, client_id)


def _with_progress(request: SignedInApiRequest, episodes: list[Episode]) -> list[dict[str, Any]]:
    scores = selectors.episode_scores(episodes)
    catalog = definition_catalog({key for by_key in scores.values() for key in by_key})
    thresholds = request.tenant.reliable_change_thresholds or {}
    data: list[dict[str, Any]] = []
    for episode in episodes:
        item = EpisodeSerializer(episode).data
        item["instruments"] = InstrumentProgressSerializer(
            selectors.instrument_progress(scores.get(episode.pk, {}), catalog,
                                          thresholds=thresholds).values(), many=True).data
        data.append(item)
    return data


class ClientEpisodesView(APIView):
    """A client's episodes of care, newest first, each with the baseline, latest (final) score,
    change and reliable change of every instrument. POST opens a new episode."""

    permission_classes = CLINICAL

    @extend_schema(responses={**DENIED, 200: EpisodeSerializer(many=True),
                              404: ErrorSerializer})
    def get(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        client = _client(request, client_id)
        audit_record(action=Action.CLIENT_EPISODES_VIEWED, actor=request.user,
                     object_type="client", object_id=client.pk,
                     meta=RequestMeta.from_request(request))
        return ApiResponse(_with_progress(request, selectors.episodes_for_client(client)))

    @extend_schema(request=None, responses={**DENIED, 201: EpisodeSerializer,
                                            400: BAD_REQUEST, 404: ErrorSerializer})
    def post(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        client = _client(request, client_id)
        try:
            episode = services.episode_open(client=client, actor=request.actor)
        except services.EpisodeError as error:
            return ApiResponse({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse(EpisodeSerializer(episode).data, status=status.HTTP_201_CREATED)


class EpisodeCloseView(APIView):
    """Close an open episode with a reason (completed, dropped_out, referred_on, moved,
    other)."""

    permission_classes = CLINICAL

    @extend_schema(request=EpisodeCloseSerializer,
                   responses={**DENIED, 200: EpisodeSerializer, 400: BAD_REQUEST,
                              404: ErrorSerializer})
    def post(self, request: SignedInApiRequest, episode_id: int) -> ApiResponse:
        body = EpisodeCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            episode = services.episode_close(
                episode_id=episode_id, actor=request.actor,
                end_reason=body.validated_data["end_reason"],
                ended_at=body.validated_data.get("ended_at"),
                note=body.validated_data.get("note", ""))
        except services.EpisodeError as error:
            return ApiResponse({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse(EpisodeSerializer(episode).data)


# --- the caseload or practice outcome report ---------------------------------------------------

class RateSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    denominator = serializers.IntegerField()
    percent = serializers.FloatField(
        allow_null=True, help_text=f"null when the denominator is below {SMALL_CELL}: a small "
                                   "cell is given as counts only.")


class SummarySerializer(serializers.Serializer):
    instrument = serializers.CharField(source="instrument_key")
    title = serializers.CharField()
    episodes = serializers.IntegerField(source="summary.episodes")
    paired = serializers.IntegerField(source="summary.paired")
    completeness = RateSerializer(source="summary.completeness")
    at_caseness = serializers.IntegerField(source="summary.at_caseness")
    reliable_improvement = RateSerializer(source="summary.reliable_improvement")
    no_reliable_change = RateSerializer(source="summary.no_reliable_change")
    reliable_deterioration = RateSerializer(source="summary.reliable_deterioration")
    recovery = RateSerializer(source="summary.recovery")
    reliable_recovery = RateSerializer(source="summary.reliable_recovery")
    mean_baseline = serializers.FloatField(source="summary.mean_baseline", allow_null=True)
    mean_final = serializers.FloatField(source="summary.mean_final", allow_null=True)
    effect_size = serializers.SerializerMethodField()
    average_length_days = serializers.FloatField(source="summary.average_length_days",
                                                 allow_null=True)
    average_measures = serializers.FloatField(source="summary.average_measures",
                                              allow_null=True)

    def get_effect_size(self, item: selectors.InstrumentReport) -> float | None:
        """Pre-post effect size; null under five paired episodes."""
        summary = item.summary
        return None if summary.paired < SMALL_CELL else summary.effect_size


class OutcomeReportSerializer(serializers.Serializer):
    timezone = serializers.CharField(help_text="The zone of the date filters: the viewer's.")
    episodes_closed = serializers.IntegerField()
    by_end_reason = serializers.DictField(child=serializers.IntegerField())
    instruments = SummarySerializer(many=True)
    combined = SummarySerializer(
        allow_null=True, help_text="Depression and anxiety together (PHQ-9 with GAD-7) as NHS "
                                   "Talking Therapies count; null unless both were used.")


class OutcomeReportView(APIView):
    """Closed episodes of care: the owner's whole practice, a clinician's own caseload. Query:
    start, end (dates, the end included, in the viewer's timezone), instrument, clinician (the
    owner only), end_reason. The same figures as the report page."""

    permission_classes = CLINICAL

    @extend_schema(responses={**DENIED, 200: OutcomeReportSerializer, 400: BAD_REQUEST})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        form = report_filter_form(request.tenant, request.user, request.query_params or None)
        if form.is_bound and not form.is_valid():
            return ApiResponse({"detail": "Check the filters.", "errors": form.errors},
                               status=status.HTTP_400_BAD_REQUEST)
        zone = report_zone(request.user)
        filters = report_filters(form, zone)
        report = selectors.outcome_report(request.user, filters,
                                          thresholds=request.tenant.reliable_change_thresholds)
        audit_record(action=Action.OUTCOMES_REPORT_VIEWED, actor=request.user,
                     object_type="report", meta=RequestMeta.from_request(request),
                     detail={"episodes": report.episodes_closed,
                             "instrument": filters.instrument_key or "",
                             "clinician_id": filters.clinician_id,
                             "end_reason": filters.end_reason or ""})
        return ApiResponse(OutcomeReportSerializer({
            "timezone": zone.key, "episodes_closed": report.episodes_closed,
            "by_end_reason": report.by_end_reason, "instruments": report.instruments,
            "combined": report.combined}).data)
