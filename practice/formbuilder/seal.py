"""The seal of a signed form: a SHA-256 over the exact content signed, in canonical JSON.

The content is the form version as the client saw it (template, version number, the whole
definition), the client, their answers, and the signature itself (the typed name, the statement
and the consent wording they accepted, the SHA-256 of the drawn mark if any, the time). Canonical
JSON: keys sorted, no spaces, UTF-8, answers already normalised (definitions.clean_answers), so
the same record always gives the same bytes. The PDF carries the seal and the sealed content
itself as an attachment (`sealed-content.json`), so anyone holding the PDF can recompute it.

Verification recomputes the hash from what is stored now and compares it with the seal recorded
at signing, and that seal with the one in the append-only audit trail: an answer changed behind
the database's back, or a seal rewritten with it, shows as "no longer matches its seal"."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from practice.formbuilder.models import FormAssignment, FormSignature
from tenants.audit.actions import Action
from tenants.audit.models import AuditEvent

SEAL_FORMAT = "tandem-form-signature/1"
SIGNED_ACTION = Action.FORM_SIGNED
ATTACHMENT_NAME = "sealed-content.json"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def sealed_content(*, assignment: FormAssignment, typed_name: str, statement: str,
                   consent_text: str, drawn_sha256: str, signed_at: datetime) -> bytes:
    version = assignment.version
    return canonical_json({
        "format": SEAL_FORMAT,
        "form": {"id": assignment.pk, "template": version.template_id,
                 "version": version.number, "definition": version.definition},
        "client": assignment.client_id,
        "answers": assignment.answers,
        "signature": {"typed_name": typed_name, "statement": statement,
                      "consent": consent_text, "drawn_sha256": drawn_sha256 or None,
                      "signed_at": _instant(signed_at)},
    })


def content_of(signature: FormSignature) -> bytes:
    """The sealed content rebuilt from what is stored now (the drawn mark re-hashed from its
    stored bytes, so a swapped image does not pass either)."""
    drawn = bytes(signature.drawn_png) if signature.drawn_png is not None else b""
    return sealed_content(
        assignment=signature.assignment, typed_name=signature.typed_name,
        statement=signature.statement, consent_text=signature.consent_text,
        drawn_sha256=sha256_hex(drawn) if drawn else "", signed_at=signature.signed_at)


@dataclass(frozen=True)
class SealCheck:
    recorded: str  # the seal written at signing
    computed: str  # the hash of what is stored now
    audited: str | None  # the seal in the audit trail's signing event

    @property
    def matches(self) -> bool:
        return self.recorded == self.computed and self.audited == self.recorded

    @property
    def verdict(self) -> str:
        return ("Matches its seal: nothing has changed since it was signed."
                if self.matches else "No longer matches its seal: the document was altered "
                "after it was signed.")


def seal_check(signature: FormSignature) -> SealCheck:
    audited = (AuditEvent.objects
               .filter(action=SIGNED_ACTION, object_type="form",
                       object_id=str(signature.assignment_id))
               .order_by("pk").values_list("detail", flat=True).first())
    return SealCheck(recorded=signature.content_sha256,
                     computed=sha256_hex(content_of(signature)),
                     audited=(audited or {}).get("seal"))
