"""The family endpoints of the REST API, for a proxy's own app: the clients they are linked to,
and one kind of one client's record, through the same choke point as the pages
(`selectors.proxy_items`): what a proxy may not see answers 404, like a missing object."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from practice.access import Capability
from practice.api_permissions import holding
from practice.family import policies, selectors
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record

FAMILY = holding(Capability.FAMILY)


class LinkedClientSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    name = serializers.CharField()
    relationship = serializers.CharField()
    kinds = serializers.ListField(child=serializers.CharField())


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="object_id")
    title = serializers.CharField()
    when = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


class FamilyClientsView(APIView):
    """The clients the signed-in proxy is linked to, each with the kinds of record it shows."""

    permission_classes = FAMILY

    @extend_schema(responses={200: LinkedClientSerializer(many=True)})
    def get(self, request: Request) -> ApiResponse:
        data = [{"client_id": link.client_id, "name": link.client.full_name,
                 "relationship": link.relationship,
                 "kinds": sorted(selectors.kinds_for_link(link, practice=request.tenant))}
                for link in selectors.proxy_links_for(request.user)]
        return ApiResponse(LinkedClientSerializer(data, many=True).data)


class FamilyRecordView(APIView):
    """One kind of one linked client's record, as far as the link shows it."""

    permission_classes = FAMILY

    @extend_schema(operation_id="family_client_record_list",
                   responses={200: ItemSerializer(many=True)})
    def get(self, request: Request, client_id: int, kind: str) -> ApiResponse:
        try:
            _link, items = selectors.proxy_items(proxy=request.user, client_id=client_id,
                                                 kind=kind, practice=request.tenant)
        except User.DoesNotExist:
            raise NotFound from None
        audit_record(action=Action.FAMILY_RECORD_VIEWED, actor=request.user,
                     object_type="client", object_id=client_id,
                     meta=RequestMeta.from_request(request), detail={"kind": kind, "api": True})
        return ApiResponse([_item(row) for row in items])


def _item(row: Any) -> dict[str, Any]:
    return {"id": row.object_id, "kind": row.kind, "title": row.title,
            "when": row.when.isoformat() if row.when is not None else None,
            "detail": row.detail, "label": str(policies.KIND_LABELS[row.kind])}
