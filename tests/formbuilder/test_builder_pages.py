"""The builder's pages: a template made step by step without JavaScript, a refused step keeps
what was typed, the preview shows the client's view, publishing freezes a version."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from practice.formbuilder.models import FormTemplate, FormVersion
from tests.formbuilder.helpers import page_text, prepare

BUILDER = "/documents/forms/templates/{}/"


def draft(care, template_id: int) -> dict:
    with schema_context(care.schema):
        found = FormTemplate.objects.get(pk=template_id).draft
    connection.set_schema_to_public()
    return found


def test_build_a_form_step_by_step(alpha) -> None:
    care = prepare(alpha)
    http = care.http(alpha.front_desk)
    created = http.post("/documents/forms/templates/", {"title": "Release of information"})
    assert created.status_code == 302
    with schema_context(care.schema):
        template_id = FormTemplate.objects.get().pk
    connection.set_schema_to_public()
    assert created["Location"] == BUILDER.format(template_id)
    path = BUILDER.format(template_id)

    # A choice question without options: refused, the typed question kept in the form.
    refused = http.post(path, {"step": "add_field", "section": "s1", "add-s1-type":
                               "single_choice", "add-s1-label": "Share with whom?"})
    assert refused.status_code == 400
    text = page_text(refused)
    assert "Give at least two options, one per line." in text
    assert 'value="Share with whom?"' in text
    assert draft(care, template_id)["sections"][0]["fields"] == []

    steps = [
        {"step": "add_field", "section": "s1", "add-s1-type": "single_choice",
         "add-s1-label": "Share with whom?", "add-s1-options": "My GP\nMy school\n",
         "add-s1-required": "on"},
        {"step": "add_section", "new-section-title": "Signature"},
        {"step": "add_field", "section": "s2", "add-s2-type": "signature",
         "add-s2-label": "I allow the practice to share my records as chosen above."},
        {"step": "add_field", "section": "s1", "add-s1-type": "date",
         "add-s1-label": "Until when?"},
        {"step": "field_up", "field": "f3"},
        {"step": "update_field", "field": "f1", "field-f1-type": "single_choice",
         "field-f1-label": "Share with whom?", "field-f1-options": "My GP\nMy school\nNobody",
         "field-f1-required": "on"},
    ]
    for data in steps:
        answer = http.post(path, data)
        assert answer.status_code == 302, (data, page_text(answer)[:500])
    built = draft(care, template_id)
    assert [[item["key"] for item in section["fields"]] for section in built["sections"]] == [
        ["f3", "f1"], ["f2"]]
    assert built["sections"][0]["fields"][1]["options"] == ["My GP", "My school", "Nobody"]
    twice = http.post(path, {"step": "add_field", "section": "s2", "add-s2-type": "signature",
                             "add-s2-label": "Again"})
    assert twice.status_code == 400
    assert "A form has at most one signature" in page_text(twice)

    preview = page_text(http.get(f"{path}preview/"))
    assert 'type="date"' in preview and "My school" in preview
    assert "you sign this form after you submit it." in preview

    assert http.post(f"{path}publish/").status_code == 302
    assert http.post(f"{path}publish/").status_code == 400  # nothing changed
    assert http.post(path, {"step": "remove_field", "field": "f3"}).status_code == 302
    with schema_context(care.schema):
        versions = list(FormVersion.objects.values_list("number", "definition"))
    connection.set_schema_to_public()
    assert len(versions) == 1 and versions[0][1]["sections"][0]["fields"][0]["key"] == "f3"
    page = page_text(http.get(path))
    assert "The draft below has changes not yet published." in page
    assert "Publish the draft as version 2" in page
