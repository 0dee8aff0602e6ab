"""Writes of forms. Staff reach a client only through practice.access.client_in_reach (a client
out of reach raises User.DoesNotExist, like a missing one); a client writes only their own forms.
Every write leaves an audit row in its transaction with ids and flags only, never answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from practice.access import Capability, client_in_reach, clients_in_reach, holds
from practice.formbuilder import definitions, seal, selectors
from practice.formbuilder.definitions import CleanedAnswers, DefinitionError
from practice.formbuilder.models import FormAssignment, FormSignature, FormTemplate, FormVersion
from practice.formbuilder.notifications import FORM_REQUESTED
from practice.formbuilder.signature_image import DrawingError, png_from_data_url
from practice.notifications.services import notification_enqueue
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record

MAX_TYPED_NAME = 150


class FormError(Exception):
    """A request the service refuses, with a message for the person who made it."""


class AnswersInvalid(FormError):
    """Answers with problems: `errors` maps each question's key to a message."""

    def __init__(self, result: CleanedAnswers) -> None:
        super().__init__(_("Some answers need a second look."))
        self.errors = result.errors


def consent_wording() -> str:
    """The consent to sign electronically, in the language the client sees; recorded verbatim
    with each signature."""
    return _("I agree to sign this form electronically. My typed name, and my drawing if I add "
             "one, is my signature and has the same effect as signing on paper.")


def _require_staff(acting_user: User) -> None:
    if not holds(acting_user, Capability.FORMS):
        raise PermissionError("Only the owner, clinicians and front desk handle forms.")


def _require_client(acting_user: User) -> None:
    if not (acting_user.is_active and acting_user.is_client):
        raise PermissionError("Only the client does this.")


def _audit(action: str, actor: User, object_type: str, object_id: int,
           meta: RequestMeta | None, **detail: Any) -> None:
    audit_record(action=action, actor=actor, object_type=object_type, object_id=object_id,
                 meta=meta, detail=detail)


# --- templates ---------------------------------------------------------------------------------

@transaction.atomic
def template_create(*, title: str, description: str = "",
                    definition: Mapping[str, Any] | None = None, actor: Actor) -> FormTemplate:
    """A new template whose draft is `definition` (checked as a draft) or one empty section."""
    _require_staff(actor.person)
    draft = dict(definition) if definition is not None else definitions.empty_definition(
        title.strip(), description.strip())
    draft = definitions.checked(draft, draft=True)
    template = FormTemplate.objects.create(title=draft["title"], draft=draft,
                                           created_by=actor.person)
    _audit(Action.FORM_TEMPLATE_CREATED, actor.person, "form_template", template.pk, actor.meta)
    return template


def _locked_template(template_id: int) -> FormTemplate:
    return FormTemplate.objects.select_for_update().get(pk=template_id)


@transaction.atomic
def template_draft_apply(*, template_id: int,
                         step: Callable[[dict[str, Any]], dict[str, Any]],
                         actor: Actor) -> FormTemplate:
    """One builder step (see builder.py) on the draft; DefinitionError leaves it as it was."""
    _require_staff(actor.person)
    template = _locked_template(template_id)
    if template.is_archived:
        raise FormError("This template is archived. Restore it to edit it.")
    template.draft = step(template.draft)
    template.title = template.draft["title"]
    template.updated_at = timezone.now()
    template.save(update_fields=["draft", "title", "updated_at"])
    _audit(Action.FORM_TEMPLATE_EDITED, actor.person, "form_template", template.pk, actor.meta)
    return template


@transaction.atomic
def template_draft_replace(*, template_id: int, definition: Any, actor: Actor) -> FormTemplate:
    """The whole draft at once (the API)."""
    return template_draft_apply(
        template_id=template_id, step=lambda _old: definitions.checked(definition, draft=True),
        actor=actor)


@transaction.atomic
def template_publish(*, template_id: int, actor: Actor) -> FormVersion:
    """The draft, checked in full, becomes the next frozen version; forms shared from now on
    use it, forms shared before keep theirs."""
    _require_staff(actor.person)
    template = _locked_template(template_id)
    if template.is_archived:
        raise FormError("This template is archived. Restore it to publish it.")
    definition = definitions.checked(template.draft)
    latest = selectors.latest_version(template)
    if latest is not None and latest.definition == definition:
        raise FormError(f"Nothing has changed since version {latest.number}.")
    version = FormVersion.objects.create(
        template=template, number=(latest.number + 1) if latest else 1, definition=definition,
        published_by=actor.person)
    _audit(Action.FORM_TEMPLATE_PUBLISHED, actor.person, "form_template", template.pk, actor.meta,
           version=version.number)
    return version


@transaction.atomic
def template_set_archived(*, template_id: int, archived: bool, actor: Actor) -> FormTemplate:
    """Archived templates are no longer offered for sharing; forms already shared stay."""
    _require_staff(actor.person)
    template = _locked_template(template_id)
    if template.is_archived != archived:
        template.is_archived = archived
        template.save(update_fields=["is_archived"])
        _audit(Action.FORM_TEMPLATE_ARCHIVED if archived else Action.FORM_TEMPLATE_RESTORED,
               actor.person, "form_template", template.pk, actor.meta)
    return template


# --- sharing -----------------------------------------------------------------------------------

@transaction.atomic
def form_share(*, client_id: int, template_id: int, due_on: date | None = None,
               actor: Actor) -> FormAssignment:
    """Share the template's latest version with the client, and tell them (an email notice
    without any of the form's content) in the same transaction."""
    _require_staff(actor.person)
    client = client_in_reach(actor.person, Capability.FORMS, client_id)
    template = _locked_template(template_id)
    version = selectors.latest_version(template)
    if template.is_archived or version is None:
        raise FormError("This template has no published version to share.")
    if FormAssignment.objects.filter(
            client=client, version__template=template,
            status__in=[FormAssignment.Status.REQUESTED,
                        FormAssignment.Status.IN_PROGRESS]).exists():
        raise FormError("This client already has this form to fill in.")
    assignment = FormAssignment.objects.create(client=client, version=version,
                                               requested_by=actor.person, due_on=due_on)
    _audit(Action.FORM_SHARED, actor.person, "form", assignment.pk, actor.meta, client_id=client.pk,
           template_id=template.pk, version=version.number)
    notification_enqueue(recipient=client, kind=FORM_REQUESTED.key,
                         idempotency_key=f"form_requested:{assignment.pk}",
                         context={"form_assignment_id": assignment.pk})
    return assignment


@transaction.atomic
def form_withdraw(*, assignment_id: int, actor: Actor) -> FormAssignment:
    """Take back a form the client has not submitted (it leaves their portal)."""
    _require_staff(actor.person)
    assignment = (FormAssignment.objects.select_for_update()
                  .filter(client__in=clients_in_reach(actor.person, Capability.FORMS))
                  .get(pk=assignment_id))
    if not assignment.is_open:
        raise FormError("Only a form the client has not submitted can be withdrawn.")
    assignment.status = FormAssignment.Status.WITHDRAWN
    assignment.withdrawn_at = timezone.now()
    assignment.save(update_fields=["status", "withdrawn_at"])
    _audit(Action.FORM_WITHDRAWN, actor.person, "form", assignment.pk, actor.meta,
           client_id=assignment.client_id)
    return assignment


# --- the client answers ------------------------------------------------------------------------

def _client_assignment(acting_user: User, assignment_id: int) -> FormAssignment:
    _require_client(acting_user)
    return (FormAssignment.objects.select_for_update().select_related("version")
            .exclude(status=FormAssignment.Status.WITHDRAWN)
            .get(pk=assignment_id, client=acting_user))


@transaction.atomic
def form_answers_save(*, assignment_id: int, answers: Mapping[str, Any], submit: bool,
                      actor: Actor, strict_keys: bool = False) -> FormAssignment:
    """Save a draft (incomplete answers allowed) or submit (every required answer given). Any
    invalid answer refuses the whole request (AnswersInvalid), so nothing half-checked is
    stored; the page shows the client what they typed. Submitted answers never change."""
    assignment = _client_assignment(actor.person, assignment_id)
    if not assignment.is_open:
        raise FormError(_("This form was already submitted; its answers cannot change."))
    result = definitions.clean_answers(assignment.version.definition, answers, final=submit,
                                       strict_keys=strict_keys)
    if not result.is_valid:
        raise AnswersInvalid(result)
    now = timezone.now()
    assignment.answers = result.answers
    assignment.last_saved_at = now
    if submit:
        assignment.status = FormAssignment.Status.COMPLETED
        assignment.submitted_at = now
    else:
        assignment.status = FormAssignment.Status.IN_PROGRESS
    assignment.save(update_fields=["answers", "last_saved_at", "status", "submitted_at"])
    _audit(Action.FORM_SUBMITTED if submit else Action.FORM_DRAFT_SAVED, actor.person, "form",
           assignment.pk, actor.meta, answered=len(result.answers))
    return assignment


@transaction.atomic
def form_sign(*, assignment_id: int, typed_name: str, consent: bool, drawn: str = "",
              actor: Actor) -> FormSignature:
    """Sign a submitted form: explicit consent to sign electronically and a typed name are
    required; a drawn mark (a PNG data URL from the page's canvas) is optional, so signing
    works without JavaScript. Records time, IP, user agent and the seal (seal.py)."""
    assignment = _client_assignment(actor.person, assignment_id)
    definition = assignment.version.definition
    if assignment.status == FormAssignment.Status.SIGNED:
        raise FormError(_("This form is already signed."))
    if assignment.status != FormAssignment.Status.COMPLETED:
        raise FormError(_("Submit the form before signing it."))
    if not definitions.requires_signature(definition):
        raise FormError(_("This form does not ask for a signature."))
    if not consent:
        raise FormError(_("Tick the box to agree to sign electronically."))
    name = " ".join((typed_name or "").split())
    if not name:
        raise FormError(_("Type your full name to sign."))
    if len(name) > MAX_TYPED_NAME:
        raise FormError(_("Your name is too long; use at most 150 characters."))
    try:
        png = png_from_data_url(drawn)
    except DrawingError as error:
        raise FormError(str(error)) from None
    signed_at = timezone.now()
    statement, consent_text = definitions.signature_statement(definition), consent_wording()
    drawn_sha256 = seal.sha256_hex(png) if png else ""
    content = seal.sealed_content(assignment=assignment, typed_name=name, statement=statement,
                                  consent_text=consent_text, drawn_sha256=drawn_sha256,
                                  signed_at=signed_at)
    signature = FormSignature.objects.create(
        assignment=assignment, signer=actor.person, typed_name=name, statement=statement,
        consent_text=consent_text, drawn_png=png, drawn_sha256=drawn_sha256,
        signed_at=signed_at, ip_address=actor.meta.ip_address,
        user_agent=actor.meta.user_agent[:300],
        content_sha256=seal.sha256_hex(content))
    assignment.status = FormAssignment.Status.SIGNED
    assignment.signed_at = signed_at
    assignment.save(update_fields=["status", "signed_at"])
    # The seal also goes into the append-only audit trail, so rewriting it with the answers
    # is detected too.
    _audit(seal.SIGNED_ACTION, actor.person, "form", assignment.pk, actor.meta,
           seal=signature.content_sha256, drawn=png is not None)
    return signature


__all__ = ["AnswersInvalid", "DefinitionError", "FormError", "consent_wording", "form_share",
           "form_sign", "form_answers_save", "form_withdraw", "template_create",
           "template_draft_apply", "template_draft_replace", "template_publish",
           "template_set_archived"]
