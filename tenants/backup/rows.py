"""A practice's rows in the public schema: the Practice itself and every public-only model that
points at it, directly or through another such row (domains, branding, billing subscriptions
and whatever is added later), found from the model graph so new apps are covered without
naming them here (`tenants` imports no other app)."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.db import models
from django.db.models import Q
from django.utils.duration import duration_iso_string

from tenants.models import Practice

# (object, original pk) -> False to leave the row out; may rewrite fields before it is saved.
RowHook = Callable[[models.Model, Any], bool]


def _public_only_models() -> list[type[models.Model]]:
    tenant_apps = set(settings.TENANT_APPS)
    return [model for config in apps.get_app_configs()
            if config.name in settings.SHARED_APPS and config.name not in tenant_apps
            for model in config.get_models() if not model._meta.proxy]


def _links(model: type[models.Model], chosen: set[type[models.Model]]) -> list[models.Field]:
    """The model's foreign keys (and one-to-ones) to chosen models."""
    return [field for field in model._meta.concrete_fields
            if (field.many_to_one or field.one_to_one) and field.related_model in chosen]


def _target(link: models.Field) -> type[models.Model]:
    """The model a foreign key (or one-to-one) of `_links` points at."""
    return cast(type[models.Model], link.related_model)


def practice_models() -> list[type[models.Model]]:
    """Practice first, then every public-only model reachable from it, parents before children."""
    chosen: list[type[models.Model]] = [Practice]
    candidates = [model for model in _public_only_models() if model is not Practice]
    grew = True
    while grew:
        grew = False
        for model in candidates:
            if model not in chosen and _links(model, set(chosen)):
                chosen.append(model)
                grew = True
    ordered: list[type[models.Model]] = []
    while len(ordered) < len(chosen):  # parents before children
        for model in chosen:
            if model in ordered:
                continue
            parents = {f.related_model for f in _links(model, set(chosen))} - {model}
            if parents <= set(ordered):
                ordered.append(model)
                break
        else:
            ordered.extend(model for model in chosen if model not in ordered)
    return ordered


def clashes_here(obj: models.Model) -> bool:
    """Whether a row's own unique values (not its links, which are remapped) are already taken
    here: e.g. the billing subscription of a practice imported as a copy beside its original
    (one Stripe subscription cannot bill two practices)."""
    model = type(obj)
    groups = [[field] for field in model._meta.concrete_fields
              if field.unique and not field.primary_key and not field.is_relation]
    # A constraint names concrete fields (never a reverse relation).
    groups += [[cast(models.Field, model._meta.get_field(name)) for name in constraint.fields]
               for constraint in model._meta.constraints
               if isinstance(constraint, models.UniqueConstraint) and constraint.fields]
    for fields in groups:
        if any(field.is_relation for field in fields):
            continue
        values = {field.attname: getattr(obj, field.attname) for field in fields}
        if all(value not in (None, "") for value in values.values()) and (
                model._default_manager.filter(**values).exists()):
            return True
    return False


def export_rows(practice: Practice) -> tuple[bytes, dict[str, int]]:
    """The practice's public rows as JSON (Django's serializer, grouped by model in restore
    order) and their counts."""
    selected: dict[type[models.Model], list[Any]] = {Practice: [practice.pk]}
    groups: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for model in practice_models():
        if model is Practice:
            queryset = Practice.objects.filter(pk=practice.pk)
        else:
            condition = Q()
            for field in _links(model, set(selected)):
                condition |= Q(**{f"{field.attname}__in": selected[_target(field)]})
            if not condition:
                continue
            queryset = model._default_manager.filter(condition).order_by("pk")
        objects = list(queryset)
        selected[model] = [obj.pk for obj in objects]
        label = model._meta.label
        counts[label] = len(objects)
        groups.append({"model": label, "rows": serializers.serialize("python", objects)})
    return json.dumps(groups, indent=1, sort_keys=True, default=_exact).encode(), counts


def _exact(value: Any) -> Any:
    """JSON for what Django's JSON encoder would round (it cuts times to milliseconds)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def import_rows(data: bytes, hook: RowHook) -> tuple[Practice, dict[str, int]]:
    """Recreate the rows with new primary keys (an auto key from another deployment could
    clash), foreign keys between them remapped. Raw saves: no signals, timestamps kept."""
    new_pks: dict[type[models.Model], dict[Any, Any]] = defaultdict(dict)
    counts: dict[str, int] = {}
    practice: Practice | None = None
    for group in json.loads(data):
        model = apps.get_model(group["model"])
        counts[group["model"]] = 0
        for deserialized in serializers.deserialize("python", group["rows"]):
            obj = deserialized.object
            original_pk = obj.pk
            for field in _links(model, set(new_pks) | {Practice}):
                value = getattr(obj, field.attname)
                if value is None:
                    continue
                mapped = new_pks[_target(field)].get(value)
                if mapped is None:  # points at a row that was left out
                    break
                setattr(obj, field.attname, mapped)
            else:
                if not hook(obj, original_pk):
                    continue
                if model._meta.pk.auto_created or isinstance(
                        model._meta.pk, (models.AutoField, models.BigAutoField)):
                    obj.pk = None
                models.Model.save_base(obj, raw=True, force_insert=True)
                new_pks[model][original_pk] = obj.pk
                counts[group["model"]] += 1
                if model is Practice:
                    practice = cast(Practice, obj)
    if practice is None:
        raise ValueError("The archive holds no practice row.")
    return practice, counts
