"""The definition format as a JSON Schema: served at an API endpoint, used for the instrument
request bodies in the OpenAPI schema; every shipped definition and the example fit it, and the
example validates as a definition. A key written with hyphens or capitals is refused with the
key to write instead."""

from __future__ import annotations

import jsonschema
import pytest

from practice.measurement.definition_schema import DEFINITION_SCHEMA, EXAMPLE
from practice.measurement.definitions import (
    DefinitionError,
    definition_from_dict,
    definition_to_dict,
)
from practice.measurement.library import get_definition, shipped_keys
from practice.measurement.scoring import score


@pytest.mark.parametrize("key", sorted(shipped_keys()))
def test_every_shipped_definition_fits_the_schema(key: str) -> None:
    jsonschema.validate(definition_to_dict(get_definition(key)), DEFINITION_SCHEMA)


def test_the_example_fits_and_validates_and_each_feature_works() -> None:
    jsonschema.Draft202012Validator.check_schema(DEFINITION_SCHEMA)
    jsonschema.validate(EXAMPLE, DEFINITION_SCHEMA)
    definition = definition_from_dict(EXAMPLE)
    # q2 is reverse keyed: "Nearly every day" (listed 3) scores 0. q3 "No": q4 is skipped.
    result = score(definition, {"q1": 3, "q2": 3, "q3": 0, "q4": None, "q5": 0})
    assert result.total == 3 and result.advisories == ()
    # Weighted option (4 points) on the asked skip item fires the advisory; q5 flags risk.
    result = score(definition, {"q1": 0, "q2": 3, "q3": 1, "q4": 2, "q5": 1})
    assert result.total == 6  # 0 + 0 (reversed) + 1 + 4 + 1
    assert result.advisories == (EXAMPLE["advisories"][0]["message"],)
    assert [flag.kind for flag in result.flags] == ["risk"]


def test_a_key_with_hyphens_or_capitals_says_what_to_write() -> None:
    data = {**EXAMPLE, "bands": [{**EXAMPLE["bands"][0], "key": "Low-Risk"},
                                 EXAMPLE["bands"][1]]}
    with pytest.raises(DefinitionError) as refused:
        definition_from_dict(data)
    assert refused.value.messages == [
        "total band 'Low-Risk': key must be lower-case letters, digits and underscores "
        "(write 'low_risk': lower-case letters, digits and underscores, starting with a "
        "letter)"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, DEFINITION_SCHEMA)


def test_served_and_in_the_openapi_schema(alpha) -> None:
    http = alpha.http(alpha.clinician)
    served = http.get("/api/v1/instruments/definition-schema").json()
    assert served["title"] == "Instrument definition"
    assert served["examples"] == [EXAMPLE]
    assert alpha.http(alpha.front_desk).get(
        "/api/v1/instruments/definition-schema").status_code == 404
    openapi = http.get("/api/v1/schema/?format=json").json()
    body = openapi["paths"]["/api/v1/instruments"]["post"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]
    assert schema["required"] == ["key", "version", "title", "items"]
    assert "reverse_keyed" in schema["properties"]["items"]["items"]["properties"]
