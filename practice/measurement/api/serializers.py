"""Serializers of the measurement API: what each endpoint takes and answers (and what the
OpenAPI schema documents)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination

from practice.measurement.definitions import SEXES, InstrumentDefinition, definition_to_dict
from practice.measurement.library import shipped_keys
from practice.measurement.models import Alert, Assignment, Response


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


def bad_request(refusal: str = '{"detail": why}') -> OpenApiResponse:
    """A 400 has one of two shapes: the endpoint's own refusal, or DRF's field errors when the
    request does not validate. The schema says "an object" and the description names both: a JSON
    Schema accepting both would accept any object anyway."""
    return OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=f"Refused: {refusal}; or, when fields fail validation, each field with its "
                    'messages ({"field": ["message", …]}, nested for lists and objects).')


BAD_REQUEST = bad_request()


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
                      "example": "21:00:00"})
class ClockTimeField(serializers.TimeField):
    """A wall-clock time ("21:00:00"), read in a timezone given elsewhere. OpenAPI's "time"
    format is RFC 3339's, which requires an offset ("21:00:00Z") that such a time never has."""


class BandSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field (DRF takes it off)


class FlagSerializer(serializers.Serializer):
    item = serializers.CharField()
    kind = serializers.ChoiceField(choices=["risk", "risk_unknown"])
    message = serializers.CharField()


class InstrumentSerializer(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    item_count = serializers.SerializerMethodField()
    has_total = serializers.BooleanField()
    higher_is_better = serializers.BooleanField()
    shipped = serializers.SerializerMethodField()
    loinc_panel = serializers.CharField(allow_null=True)

    def get_item_count(self, definition: InstrumentDefinition) -> int:
        return len(definition.choice_items)

    def get_shipped(self, definition: InstrumentDefinition) -> bool:
        return definition.key in shipped_keys()


class InstrumentDetailSerializer(InstrumentSerializer):
    definition = serializers.SerializerMethodField(
        help_text="The whole definition in Tandem's definition format (items, options with "
                  "points, bands, subscales, critical items, missing-item rule).")

    def get_definition(self, definition: InstrumentDefinition) -> dict[str, Any]:
        return definition_to_dict(definition)


# Versions are PostgreSQL integers; a larger one is refused rather than looked up.
MAX_VERSION = 2**31 - 1


class VersionQuerySerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION, required=False,
                                       help_text="A pinned version.")


class ResponseFilterSerializer(serializers.Serializer):
    instrument = serializers.CharField(max_length=64, required=False, allow_blank=True)


class ScorePreviewRequestSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.IntegerField(min_value=0, allow_null=True),
        help_text="Item key → 0-based position of the chosen option, or null for a skipped "
                  "item. Items left out count as skipped.")
    sex = serializers.ChoiceField(choices=list(SEXES), required=False, allow_null=True,
                                  help_text="For sex-specific cut-offs (AUDIT-C).")
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_VERSION, required=False,
        help_text="A version to preview; default the newest (a practice's draft included).")


class ScoreResultSerializer(serializers.Serializer):
    instrument = serializers.CharField()
    version = serializers.IntegerField()
    scorer = serializers.CharField()
    scorer_version = serializers.IntegerField()
    total = serializers.FloatField(allow_null=True)
    raw_total = serializers.FloatField(allow_null=True)
    band = BandSerializer(allow_null=True)
    subscales = serializers.DictField(child=serializers.FloatField())
    subscale_bands = serializers.DictField(child=BandSerializer(allow_null=True))
    flags = FlagSerializer(many=True)
    advisories = serializers.ListField(child=serializers.CharField())
    missing_items = serializers.ListField(child=serializers.CharField())
    prorated = serializers.BooleanField()
    sex = serializers.CharField(allow_null=True)



class AssignmentSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "client", "instrument_key", "frequency", "starts_on", "ends_on",
                  "assigned_by", "created_at", "ended_at", "is_active"]
        read_only_fields = fields


class AssignmentCreateSerializer(serializers.Serializer):
    instrument_key = serializers.CharField(max_length=64)
    frequency = serializers.ChoiceField(choices=Assignment.Frequency.choices)
    starts_on = serializers.DateField(help_text="The client's local date of the first "
                                                "occurrence (the due date of a one-off).")
    ends_on = serializers.DateField(required=False, allow_null=True)


class ResponseSerializer(serializers.ModelSerializer):
    """A submitted response with the score pinned at submission. The reason a response was
    marked entered in error is a clinician's note: clients do not get it."""

    total = serializers.FloatField(allow_null=True, read_only=True)
    is_entered_in_error = serializers.BooleanField(read_only=True)
    advisories = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="The instrument's advisories that fired when it was scored (not risk alerts).")
    # Left out for clients, so not required in the schema (hence not read-only: a read-only
    # field is documented as always present).
    entered_in_error_reason = serializers.CharField(
        required=False, help_text="Why it was marked entered in error; clinical staff only.")

    class Meta:
        model = Response
        fields = ["id", "client", "assignment", "instrument_key", "definition_version",
                  "occurrence_date", "status", "submitted_at", "answers", "note", "scorer",
                  "scorer_version", "is_scored", "total", "band_key", "band_label",
                  "subscales", "subscale_bands", "flags", "advisories", "missing_items",
                  "prorated", "is_entered_in_error", "entered_in_error_at",
                  "entered_in_error_reason"]
        read_only_fields = fields

    def to_representation(self, instance: Response) -> dict[str, Any]:
        data = super().to_representation(instance)
        reader = self.context.get("request")
        if reader is not None and reader.user.is_client:
            data.pop("entered_in_error_reason", None)
        return data


class EnteredInErrorSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the response is wrong "
                                                              "(kept with it, audited).")


class AlertClientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class AlertSerializer(serializers.ModelSerializer):
    client = AlertClientSerializer(read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "client", "kind", "severity", "status", "summary", "response",
                  "created_at", "acknowledged_at", "resolved_at", "resolution_note",
                  "snoozed_until"]
        read_only_fields = fields


class AlertResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="How it was resolved.")


class HistoryPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 500


class PracticeInstrumentSerializer(serializers.Serializer):
    """A version of a practice-defined instrument."""

    key = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    definition = serializers.JSONField()
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)

