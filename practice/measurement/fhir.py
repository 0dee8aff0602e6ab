"""FHIR R4 export of a client's results: a Bundle (type collection) holding the Patient, one
Questionnaire per instrument version used, one QuestionnaireResponse per submitted response and
one Observation per scored response, following the reference's §10 pattern (LOINC codes where
the reference gives them: the panel on the Questionnaire, items on its items, the total on the
Observation; option weights in the `itemWeight` extension).

The Bundle is validated by building it with the maintained `fhir.resources` models. Its
`R4B` package is used: the R4 line of the package is no longer maintained, and R4B (4.3.0)
changed only medication-definition, evidence and subscription resources, so Patient,
Questionnaire, QuestionnaireResponse, Observation and Bundle are R4 resources as R4 defines
them.

Entered-in-error responses are exported with status "entered-in-error" (kept, marked), never
left out. Identifiers are stable: exporting twice gives the same ids."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from fractions import Fraction
from typing import Any, cast

from django.db.models import QuerySet
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from practice.measurement.definitions import InstrumentDefinition, Item, plain_number
from practice.measurement.library import UnknownInstrument
from practice.measurement.models import Response
from practice.measurement.selectors import instrument_definition, submitted_responses
from tenants.accounts.models import User

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
TOTAL_LINK_ID = "total"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

Json = dict[str, Any]


def client_results_bundle(*, client: User, base_url: str, now: datetime | None = None,
                          validate: bool = True,
                          responses: QuerySet[Response] | None = None,
                          security_labels: tuple[str, ...] = ()) -> str:
    """The client's results as FHIR R4 JSON. `base_url` is the practice's address (scheme and
    host): the Questionnaires' canonical URLs and the local code systems live under it.
    `responses` narrows the results to those given (a disclosure sends only what its release
    covers); `security_labels` are v3-ActCode codes for the Bundle's meta (42CFRPart2).

    Validated through fhir.resources when `validate` (the API: one client at a time). The
    whole-practice export writes a bundle per client and passes False: validation is most of
    the cost (about 10x the building), the builder is the same, and the export's tests validate
    every bundle it writes."""
    builder = _Builder(base_url.rstrip("/"))
    patient = builder.patient(client)
    entries = [patient]
    chosen = submitted_responses(client) if responses is None else responses.filter(
        client=client, status=Response.Status.SUBMITTED)
    responses_in_order = list(chosen.order_by("submitted_at", "pk"))
    definitions: dict[tuple[str, int | None], InstrumentDefinition | None] = {}
    for response in responses_in_order:
        pinned = (response.instrument_key, response.definition_version)
        if pinned not in definitions:
            definition = definitions[pinned] = _definition(*pinned)
            if definition is not None:
                entries.append(builder.questionnaire(definition))
    for response in responses_in_order:
        definition = definitions[(response.instrument_key, response.definition_version)]
        answer_entry = builder.questionnaire_response(response, definition, patient)
        entries.append(answer_entry)
        if response.is_scored:
            entries.append(builder.observation(response, definition, patient, answer_entry))
    bundle: Json = {
        "resourceType": "Bundle",
        "id": builder.stable_id("Bundle", f"client-{client.pk}"),
        "type": "collection",
        "timestamp": (now or timezone.now()).isoformat(),
        "entry": entries,
    }
    if security_labels:
        bundle["meta"] = {"security": [{"system": ACT_CODE, "code": code}
                                       for code in security_labels]}
    if not validate:
        return json.dumps(bundle, separators=(",", ":"), ensure_ascii=False)
    return Bundle.model_validate(bundle).model_dump_json()


def _definition(key: str, version: int | None) -> InstrumentDefinition | None:
    try:
        return instrument_definition(key, version)
    except UnknownInstrument:
        return None


def _number(value: Any) -> int | float:
    return plain_number(Fraction(str(value)))


class _Builder:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    # --- identity ----------------------------------------------------------------------------

    def stable_id(self, resource_type: str, local_id: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.base_url}/{resource_type}/{local_id}"))

    def entry(self, resource: Json) -> Json:
        full_url = f"urn:uuid:{self.stable_id(resource['resourceType'], resource['id'])}"
        return {"fullUrl": full_url, "resource": resource}

    def canonical(self, definition: InstrumentDefinition) -> str:
        return f"{self.base_url}/api/v1/instruments/{definition.key}"

    # --- resources ---------------------------------------------------------------------------

    def patient(self, client: User) -> Json:
        resource: Json = {"resourceType": "Patient", "id": f"client-{client.pk}"}
        if client.full_name:
            resource["name"] = [{"text": client.full_name}]
        return self.entry(resource)

    def questionnaire(self, definition: InstrumentDefinition) -> Json:
        url = self.canonical(definition)
        items = [self._question(definition, item) for item in definition.items]
        if definition.has_total:
            total: Json = {"linkId": TOTAL_LINK_ID, "type": "decimal", "readOnly": True,
                           "text": f"{definition.title}: total score"}
            if definition.loinc_total:
                total["code"] = [{"system": LOINC, "code": definition.loinc_total}]
            items.append(total)
        resource: Json = {
            "resourceType": "Questionnaire",
            "id": f"{definition.key}-v{definition.version}",
            "url": url,
            "version": str(definition.version),
            "name": "".join(part.capitalize() for part in definition.key.split("_")),
            "title": definition.title,
            "status": "active",
            "item": items,
        }
        if definition.loinc_panel:
            resource["code"] = [{"system": LOINC, "code": definition.loinc_panel}]
        return self.entry(resource)

    def _question(self, definition: InstrumentDefinition, item: Item) -> Json:
        question: Json = {"linkId": item.key, "text": item.text,
                          "type": "choice" if item.is_choice else "text"}
        if item.loinc:
            question["code"] = [{"system": LOINC, "code": item.loinc}]
        if item.is_choice:
            question["answerOption"] = [
                self._option(definition, item, position) for position in range(len(item.options))
            ]
        return question

    def _coding(self, definition: InstrumentDefinition, item: Item, position: int) -> Json:
        option = item.options[position]
        if option.code:
            return {"system": LOINC, "code": option.code, "display": option.label}
        return {"system": f"{self.canonical(definition)}/answers/{item.key}",
                "code": str(position), "display": option.label}

    def _option(self, definition: InstrumentDefinition, item: Item, position: int) -> Json:
        option: Json = {"valueCoding": self._coding(definition, item, position)}
        if item.scored:
            # The points the option scores, after reverse keying.
            option["extension"] = [{"url": ITEM_WEIGHT,
                                    "valueDecimal": plain_number(item.points_for(position))}]
        return option

    def questionnaire_response(self, response: Response, definition: InstrumentDefinition | None,
                               patient: Json) -> Json:
        resource: Json = {
            "resourceType": "QuestionnaireResponse",
            "id": f"response-{response.pk}",
            "status": "entered-in-error" if response.is_entered_in_error else "completed",
            "subject": {"reference": patient["fullUrl"]},
            "authored": response.submitted_at.isoformat() if response.submitted_at else None,
        }
        if definition is not None:
            resource["questionnaire"] = f"{self.canonical(definition)}|{definition.version}"
            items = self._answers(response, definition)
            if items:
                resource["item"] = items
        return self.entry(resource)

    def _answers(self, response: Response, definition: InstrumentDefinition) -> list[Json]:
        items: list[Json] = []
        for item in definition.items:
            if item.is_choice:
                position = response.answers.get(item.key)
                if not isinstance(position, int) or not 0 <= position < len(item.options):
                    continue  # skipped: no answer (the Observation's note tells a risk unknown)
                answer: Json = {"valueCoding": self._coding(definition, item, position)}
            elif response.note:
                # The free text a response holds is its note (the mood check-in's).
                answer = {"valueString": response.note}
            else:
                continue
            items.append({"linkId": item.key, "text": item.text, "answer": [answer]})
        if definition.has_total and response.total is not None:
            items.append({"linkId": TOTAL_LINK_ID, "text": f"{definition.title}: total score",
                          "answer": [{"valueDecimal": _number(response.total)}]})
        return items

    def observation(self, response: Response, definition: InstrumentDefinition | None,
                    patient: Json, answer_entry: Json) -> Json:
        title = definition.title if definition else response.instrument_key
        local_system = (f"{self.canonical(definition)}" if definition
                        else f"{self.base_url}/api/v1/instruments/{response.instrument_key}")
        code: Json
        if definition is not None and definition.loinc_total:
            code = {"coding": [{"system": LOINC, "code": definition.loinc_total}],
                    "text": f"{title}: total score"}
        else:
            code = {"coding": [{"system": local_system, "code": TOTAL_LINK_ID}],
                    "text": f"{title}: total score"}
        submitted_at = cast(datetime, response.submitted_at)  # only submitted ones are sent
        resource: Json = {
            "resourceType": "Observation",
            "id": f"response-{response.pk}-score",
            "status": "entered-in-error" if response.is_entered_in_error else "final",
            "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey",
                                      "display": "Survey"}]}],
            "code": code,
            "subject": {"reference": patient["fullUrl"]},
            "effectiveDateTime": submitted_at.isoformat(),
            "issued": submitted_at.isoformat(),
            "derivedFrom": [{"reference": answer_entry["fullUrl"]}],
        }
        band = ({"coding": [{"system": f"{local_system}/bands", "code": response.band_key,
                             "display": response.band_label}], "text": response.band_label}
                if response.band_key else None)
        if response.total is not None:
            resource["valueQuantity"] = _score_quantity(response.total)
            if band:
                resource["interpretation"] = [band]
        elif band:
            resource["valueCodeableConcept"] = band  # a triage level (C-SSRS), not a number
        components = self._subscales(response, definition, local_system)
        if components:
            resource["component"] = components
        notes = [{"text": flag.get("message", "")} for flag in response.flags
                 if isinstance(flag, dict) and flag.get("message")]
        # The instrument's advisories that fired when it was scored (WHO-5's "administer a
        # depression inventory", AUDIT's referral note, a practice's own).
        notes += [{"text": f"Advisory: {advisory}"} for advisory in response.advisories or ()
                  if isinstance(advisory, str) and advisory]
        if notes:
            resource["note"] = notes
        return self.entry(resource)

    def _subscales(self, response: Response, definition: InstrumentDefinition | None,
                   local_system: str) -> list[Json]:
        titles = {subscale.key: subscale.title
                  for subscale in (definition.subscales if definition else ())}
        return [{"code": {"coding": [{"system": f"{local_system}/subscales", "code": key,
                                      "display": titles.get(key, key)}],
                          "text": titles.get(key, key)},
                 "valueQuantity": _score_quantity(value)}
                for key, value in sorted(response.subscales.items())]


def _score_quantity(value: Any) -> Json:
    return {"value": _number(value), "unit": "{score}", "system": UCUM, "code": "{score}"}
