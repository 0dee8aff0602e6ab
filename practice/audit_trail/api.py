"""The audit trail through the API: `GET /api/v1/audit-events`, the owner only, newest first,
with the page's filters (action, person by email, object_type, object_id, start, end as dates
in the owner's timezone), limit/offset pages. Reading it is audited like the page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from practice.access import Capability
from practice.api_permissions import holding
from practice.audit_trail import selectors
from practice.audit_trail.forms import TrailFilterForm
from practice.measurement.api.serializers import BAD_REQUEST, ErrorSerializer
from tenants.audit.actions import Action
from tenants.audit.models import AuditEvent
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInApiRequest


class AuditEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "action", "actor_id", "actor_name", "actor_role",
                  "object_type", "object_id", "ip_address", "user_agent", "detail"]

    def get_actor_name(self, event: AuditEvent) -> str:
        """The person's name, or "" for the system or someone no longer in the practice."""
        person = self.context.get("people", {}).get(event.actor_id)
        return person.name if person else ""


class TrailPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


FILTERS = [
    OpenApiParameter("action", str, description="A kind of event, e.g. client.invited"),
    OpenApiParameter("person", str, description="The email of the person who acted"),
    OpenApiParameter("object_type", str), OpenApiParameter("object_id", str),
    OpenApiParameter("start", str, description="A date (YYYY-MM-DD), in your timezone"),
    OpenApiParameter("end", str, description="A date (YYYY-MM-DD), included"),
]


DENIED = {403: ErrorSerializer}


class AuditEventListView(ListAPIView):
    """The practice's audit trail, newest first. No values are ever in it: who did what to
    which object, when and from where."""

    request: SignedInApiRequest  # get_queryset runs after IsAuthenticated
    permission_classes = holding(Capability.MANAGE_PRACTICE)
    serializer_class = AuditEventSerializer
    pagination_class = TrailPagination

    def get_queryset(self) -> Any:
        data = self.request.query_params.copy()
        for name in ("limit", "offset"):
            data.pop(name, None)
        form = TrailFilterForm(data or None)
        if form.is_bound and not form.is_valid():
            raise ValidationError({"detail": "Check the filters.", "errors": form.errors})
        filters = form.filters(selectors.viewer_zone(self.request.user))
        audit_record(action=Action.AUDIT_TRAIL_VIEWED, actor=self.request.user,
                     object_type="audit_trail", meta=RequestMeta.from_request(self.request),
                     detail={**filters.as_detail(), "api": True})
        return selectors.audit_events(filters)

    @extend_schema(parameters=FILTERS, responses={**DENIED, 400: BAD_REQUEST,
                                                  200: AuditEventSerializer(many=True)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        events = self.paginate_queryset(self.get_queryset()) or []
        people = selectors.people(event.actor_id for event in events)
        return self.get_paginated_response(
            AuditEventSerializer(events, many=True, context={"people": people}).data)
