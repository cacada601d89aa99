"""Property-based run of the OpenAPI schema (schemathesis): requests generated from the schema, valid and
invalid, must never get a server error nor a response that breaks the schema the API declares."""

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from rag.settings import Settings

from .conftest import SEEDS

# Examples per operation (schemathesis' default), valid and invalid mixed: the module takes about 20 s on
# two cores with the real model.
MAX_EXAMPLES = 100
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]

# The schema is read when the module is imported, so the app is built before the session's index exists
# (schemathesis' fixture-based loader does not work with pytest 9); `served_components` hands it over.
APP = create_app(Settings(seeds_dir=SEEDS))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(max_examples=MAX_EXAMPLES, modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@pytest.fixture(scope="module")
def served_components(components):
    APP.state.service.components = components
    return components


@schema.parametrize()
def test_no_server_error_and_every_response_matches_the_schema(case, served_components):
    case.call_and_validate(checks=CHECKS)
