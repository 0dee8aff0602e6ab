"""Serializers of the forms API: what each endpoint takes and answers (and what the OpenAPI
schema documents)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from practice.formbuilder.models import FormAssignment, FormSignature, FormTemplate, FormVersion
from practice.formbuilder.seal import SealCheck

DEFINITION_HELP = (
    "A form definition: {title, description, sections: [{key, title, description, fields: "
    "[{key, type, label, help, required, options (choice types), min/max/integer_only "
    "(number)}]}]}. Types: short_text, long_text, single_choice, multiple_choice, date, "
    "number, yes_no, signature (at most one).")


class FormErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()




class FormVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    definition = serializers.JSONField(help_text=DEFINITION_HELP)

    def to_representation(self, instance: FormVersion) -> dict[str, Any]:
        return {"number": instance.number, "published_at": instance.published_at.isoformat(),
                "definition": instance.definition}


class FormTemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    is_archived = serializers.BooleanField()
    latest_version = serializers.IntegerField(allow_null=True)
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: FormTemplate) -> dict[str, Any]:
        return {"id": instance.pk, "title": instance.title, "is_archived": instance.is_archived,
                "latest_version": getattr(instance, "latest_version", None),
                "updated_at": instance.updated_at.isoformat()}


class FormTemplateDetailSerializer(FormTemplateSerializer):
    draft = serializers.JSONField(help_text=DEFINITION_HELP)
    versions = FormVersionSerializer(many=True)

    def to_representation(self, instance: FormTemplate) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["draft"] = instance.draft
        data["versions"] = [FormVersionSerializer(version).data
                            for version in instance.versions.order_by("-number")]
        return data


class FormTemplateCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                        default="")
    definition = serializers.JSONField(required=False, help_text=DEFINITION_HELP +
                                       " Optional: without it the draft has one empty section.")


class FormDraftSerializer(serializers.Serializer):
    definition = serializers.JSONField(help_text=DEFINITION_HELP)


class FormShareSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    template_id = serializers.IntegerField()
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class FormAnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        help_text="Question key → answer: text; an option text (single choice); a list of "
                  "option texts (multiple choice); YYYY-MM-DD (date); a number or a numeric "
                  "string; true/false (yes/no). Keys left out are unanswered.")
    submit = serializers.BooleanField(default=False,
                                      help_text="false saves a draft; true submits (final).")


class FormSignSerializer(serializers.Serializer):
    typed_name = serializers.CharField(max_length=150)
    consent = serializers.BooleanField(
        help_text="Must be true: the client agrees to sign electronically (the wording is "
                  "recorded with the signature).")
    drawn = serializers.CharField(required=False, allow_blank=True, default="",
                                  help_text="Optional drawn signature, a PNG data URL.")


class FormSignatureSerializer(serializers.Serializer):
    typed_name = serializers.CharField()
    statement = serializers.CharField()
    consent_text = serializers.CharField()
    has_drawing = serializers.BooleanField()
    signed_at = serializers.DateTimeField()
    ip_address = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField()
    seal = serializers.CharField(help_text="SHA-256 of the sealed content (canonical JSON).")

    def to_representation(self, instance: FormSignature) -> dict[str, Any]:
        return {"typed_name": instance.typed_name, "statement": instance.statement,
                "consent_text": instance.consent_text, "has_drawing": instance.has_drawing,
                "signed_at": instance.signed_at.isoformat(), "ip_address": instance.ip_address,
                "user_agent": instance.user_agent, "seal": instance.content_sha256}


class FormAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_id = serializers.IntegerField()
    template_id = serializers.IntegerField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=FormAssignment.Status.choices)
    awaits_signature = serializers.BooleanField()
    requested_at = serializers.DateTimeField()
    due_on = serializers.DateField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: FormAssignment) -> dict[str, Any]:
        def iso(value: Any) -> str | None:
            return value.isoformat() if value is not None else None

        return {"id": instance.pk, "client_id": instance.client_id,
                "template_id": instance.version.template_id,
                "version": instance.version.number, "title": instance.title,
                "status": instance.status, "awaits_signature": instance.awaits_signature,
                "requested_at": iso(instance.requested_at), "due_on": iso(instance.due_on),
                "submitted_at": iso(instance.submitted_at), "signed_at": iso(instance.signed_at)}


class FormAssignmentDetailSerializer(FormAssignmentSerializer):
    definition = serializers.JSONField(help_text=DEFINITION_HELP)
    answers = serializers.DictField()
    signature = FormSignatureSerializer(allow_null=True)

    def to_representation(self, instance: FormAssignment) -> dict[str, Any]:
        data = super().to_representation(instance)
        signature = getattr(instance, "signature", None)
        data |= {"definition": instance.version.definition, "answers": instance.answers,
                 "signature": FormSignatureSerializer(signature).data if signature else None}
        return data


class FormSealCheckSerializer(serializers.Serializer):
    matches = serializers.BooleanField()
    verdict = serializers.CharField()
    recorded = serializers.CharField(help_text="The seal written at signing.")
    computed = serializers.CharField(help_text="SHA-256 of the content as stored now.")
    audited = serializers.CharField(allow_null=True,
                                    help_text="The seal in the append-only audit trail.")

    def to_representation(self, instance: SealCheck) -> dict[str, Any]:
        return {"matches": instance.matches, "verdict": instance.verdict,
                "recorded": instance.recorded, "computed": instance.computed,
                "audited": instance.audited}
