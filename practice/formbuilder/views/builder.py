"""The form builder (`/documents/forms/templates/`): the practice's templates, each edited one
step at a time on its draft (every step a plain POST, so it works without JavaScript), previewed
as the client will see it, and published as a new frozen version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from practice.formbuilder import builder, selectors, services
from practice.formbuilder.definitions import FIELD_TYPES, KEY, DefinitionError
from practice.formbuilder.forms import FieldForm, SectionForm, TemplateForm
from practice.formbuilder.models import FormTemplate
from practice.formbuilder.views.common import forms_staff_required, render_staff
from practice.formbuilder.views.questions import sections_for
from tenants.requests import SignedInRequest

Step = Callable[[dict[str, Any]], dict[str, Any]]


@require_http_methods(["GET", "POST"])
@forms_staff_required
def template_list(request: SignedInRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                template = services.template_create(
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    actor=request.actor)
            except DefinitionError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                messages.success(request, "Template created. Add its questions, then publish.")
                return HttpResponseRedirect(reverse("documents:forms:template",
                                                    args=[template.pk]))
        status = 400
    show_archived = request.GET.get("archived") == "1"
    return render_staff(request, "formbuilder/staff/templates.html", {
        "templates": selectors.templates(include_archived=show_archived),
        "show_archived": show_archived, "form": form}, status)


def _template_or_404(template_id: int) -> FormTemplate:
    try:
        return selectors.template_by_id(template_id)
    except FormTemplate.DoesNotExist:
        raise Http404 from None


@dataclass
class FieldRow:
    item: dict[str, Any]
    form: Form
    is_first: bool
    is_last: bool


@dataclass
class SectionRow:
    section: dict[str, Any]
    form: Form
    add_form: Form
    fields: list[FieldRow]


def _rows(template: FormTemplate, bound: dict[str, Form]) -> list[SectionRow]:
    """Every element of the draft with its edit form: the bound one that failed, if any, so
    what the person typed is not lost."""
    sections = template.draft["sections"]
    rows = []
    for section_index, section in enumerate(sections):
        key = section["key"]
        fields = [FieldRow(
            item=item,
            form=bound.get(f"field:{item['key']}") or FieldForm(
                initial=FieldForm.initial_for(item), prefix=f"field-{item['key']}"),
            is_first=section_index == 0 and index == 0,
            is_last=section_index == len(sections) - 1 and index == len(section["fields"]) - 1)
            for index, item in enumerate(section["fields"])]
        rows.append(SectionRow(
            section=section,
            form=bound.get(f"section:{key}") or SectionForm(
                initial={"title": section["title"], "description": section["description"]},
                prefix=f"section-{key}"),
            add_form=bound.get(f"add:{key}") or FieldForm(prefix=f"add-{key}",
                                                          initial={"type": "short_text"}),
            fields=fields))
    return rows


def _builder_page(request: HttpRequest, template: FormTemplate, *,
                  bound: dict[str, Form] | None = None, status: int = 200) -> HttpResponse:
    bound = bound or {}
    latest = selectors.latest_version(template)
    return render_staff(request, "formbuilder/staff/builder.html", {
        "template": template, "draft": template.draft, "rows": _rows(template, bound),
        "details_form": bound.get("details") or TemplateForm(
            initial={"title": template.draft["title"],
                     "description": template.draft["description"]}, prefix="details"),
        "new_section_form": bound.get("add_section") or SectionForm(prefix="new-section"),
        "versions": selectors.versions_of(template), "latest": latest,
        "is_published_as_is": latest is not None and latest.definition == template.draft,
        "field_types": FIELD_TYPES}, status)


def _key(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name, "")
    if not KEY.fullmatch(value):
        raise DefinitionError(["That part of the form is not there any more."])
    return value


def _bound(form_id: str, form: Form, make: Callable[[Any], Step]
           ) -> tuple[str, Form | None, Step | None]:
    return form_id, form, make(form) if form.is_valid() else None


def _step_from(request: HttpRequest) -> tuple[str, Form | None, Step | None]:
    """The builder step the POST asks for: (form id, its bound form, the step, or None when
    the form has errors)."""
    action, post = request.POST.get("step", ""), request.POST
    if action == "details":
        return _bound("details", TemplateForm(post, prefix="details"), lambda form: partial(
            builder.set_details, title=form.cleaned_data["title"],
            description=form.cleaned_data["description"]))
    if action == "add_section":
        return _bound("add_section", SectionForm(post, prefix="new-section"),
                      lambda form: partial(builder.add_section,
                                           title=form.cleaned_data["title"],
                                           description=form.cleaned_data["description"]))
    if action == "update_section":
        key = _key(request, "section")
        return _bound(f"section:{key}", SectionForm(post, prefix=f"section-{key}"),
                      lambda form: partial(builder.update_section, key=key,
                                           title=form.cleaned_data["title"],
                                           description=form.cleaned_data["description"]))
    if action == "add_field":
        key = _key(request, "section")
        return _bound(f"add:{key}", FieldForm(post, prefix=f"add-{key}"),
                      lambda form: partial(builder.add_field, section_key=key,
                                           spec=form.spec()))
    if action == "update_field":
        key = _key(request, "field")
        return _bound(f"field:{key}", FieldForm(post, prefix=f"field-{key}"),
                      lambda form: partial(builder.update_field, key=key, spec=form.spec()))
    section, item = _safe_key(request, "section"), _safe_key(request, "field")
    moves: dict[str, Step] = {
        "remove_section": partial(builder.remove_section, key=section),
        "section_up": partial(builder.move_section, key=section, step=-1),
        "section_down": partial(builder.move_section, key=section, step=1),
        "remove_field": partial(builder.remove_field, key=item),
        "field_up": partial(builder.move_field, key=item, step=-1),
        "field_down": partial(builder.move_field, key=item, step=1),
    }
    if action in moves:
        return action, None, moves[action]
    raise DefinitionError(["Unknown builder step."])


def _safe_key(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name, "")
    return value if KEY.fullmatch(value) else "-"


@require_http_methods(["GET", "POST"])
@forms_staff_required
def template_builder(request: SignedInRequest, template_id: int) -> HttpResponse:
    template = _template_or_404(template_id)
    if request.method == "GET":
        return _builder_page(request, template)
    try:
        form_id, form, step = _step_from(request)
    except DefinitionError as error:
        return _refused(request, template, error.messages, {})
    bound = {form_id: form} if form is not None else {}
    if step is None:
        return _builder_page(request, template, bound=bound, status=400)
    try:
        services.template_draft_apply(template_id=template.pk, step=step,
                                      actor=request.actor)
    except DefinitionError as error:
        return _refused(request, template, error.messages, bound)
    except services.FormError as error:
        return _refused(request, template, [str(error)], bound)
    messages.success(request, "Draft saved.")
    item, section = _safe_key(request, "field"), _safe_key(request, "section")
    anchor = f"#field-{item}" if item != "-" else f"#section-{section}" if section != "-" else ""
    return HttpResponseRedirect(reverse("documents:forms:template", args=[template.pk])
                                + anchor)


def _refused(request: HttpRequest, template: FormTemplate, problems: list[str],
             bound: dict[str, Form]) -> HttpResponse:
    for problem in problems:
        messages.error(request, problem)
    return _builder_page(request, template, bound=bound, status=400)


@require_POST
@forms_staff_required
def template_publish(request: SignedInRequest, template_id: int) -> HttpResponse:
    template = _template_or_404(template_id)
    try:
        version = services.template_publish(template_id=template.pk,
                                            actor=request.actor)
    except DefinitionError as error:
        for problem in error.messages:
            messages.error(request, problem)
        return _builder_page(request, template, status=400)
    except services.FormError as error:
        messages.error(request, str(error))
        return _builder_page(request, template, status=400)
    messages.success(request, f"Version {version.number} published. Forms you share from now "
                              "on use it.")
    return HttpResponseRedirect(reverse("documents:forms:template", args=[template.pk]))


@require_POST
@forms_staff_required
def template_archive(request: SignedInRequest, template_id: int) -> HttpResponse:
    template = _template_or_404(template_id)
    archived = request.POST.get("archived") != "0"
    services.template_set_archived(template_id=template.pk, archived=archived,
                                   actor=request.actor)
    messages.success(request, "Template archived." if archived else "Template restored.")
    return HttpResponseRedirect(reverse("documents:forms:templates"))


@require_safe
@forms_staff_required
def template_preview(request: SignedInRequest, template_id: int) -> HttpResponse:
    """The draft (or `?version=N`) as the client will see it, inputs disabled."""
    template = _template_or_404(template_id)
    definition, label = template.draft, "Draft"
    number = request.GET.get("version", "")
    if number:
        version = template.versions.filter(number=int(number) if number.isdigit() else 0).first()
        if version is None:
            raise Http404
        definition, label = version.definition, f"Version {version.number}"
    return render_staff(request, "formbuilder/staff/preview.html", {
        "template": template, "definition": definition, "label": label,
        "sections": sections_for(definition)})
