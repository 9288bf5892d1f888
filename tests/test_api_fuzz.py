"""The whole API against its own OpenAPI document: generated requests never get a 5xx or an answer off-schema."""
import json
import time

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from schemathesis.config import SchemathesisConfig

from aggregator.api.openapi import DOCUMENT
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client
from workers import incidents, official
from workers.buckets import Bucket
from workers.detect import State
from workers.statuspage import parse_components, parse_incidents

from .helpers import web_server
from .statuspages import incident as official_incident
from .statuspages import summary_doc, update

ADMIN_TOKEN = "fuzzing-admin-token"
MAX_EXAMPLES = 50
"""Generated cases per operation with parameters or a body: about 450 requests in all."""
EXAMPLE_ONSET = 1795647780  # 2026-11-25T23:03:00Z, the onset of the document's example incident id

CHECKS = {
    # A valid-looking service name or incident id need not exist: a 400 or 404 for a schema-valid request is right.
    "positive_data_acceptance": {"enabled": False},
    # An invalid request may also be refused for its size before its fields are read.
    "negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 405, 409, 413, 415, 422]},
}
schema = schemathesis.openapi.from_dict(DOCUMENT, config=SchemathesisConfig.from_dict({"checks": CHECKS}))


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    """The production web server with admin and relay batches on, both taking the one token the session sends."""
    with web_server(redis_server.url, tmp_path_factory.mktemp("fuzz-web"), RADAR_ADMIN_TOKEN=ADMIN_TOKEN,
                    RADAR_RELAY_KEYS=ADMIN_TOKEN) as base:
        yield base


@pytest.fixture
def session(server, redis_server):
    """A session with the admin token, and one stored incident: the one whose id the document gives as an example.

    Its service's status page posted about it later, so answers carry a linked official incident and components.
    """
    incident = incidents.open_incident("claude", None, State.OUTAGE, EXAMPLE_ONSET, EXAMPLE_ONSET + 120)
    incidents.observe(incident, Bucket(EXAMPLE_ONSET, total=40, surfaces={"website": 30, "api": 10}), 40, 2.0)
    page = summary_doc([official_incident("vendor1", [update("u1", "identified", EXAMPLE_ONSET + 1800,
                                                                display=EXAMPLE_ONSET)])], {"API": "major_outage"})
    with data_client(Settings.from_env(REDIS_URL=redis_server.url)) as data:
        with data.pipeline(transaction=False) as pipe:
            incidents.save(pipe, incident, time.time())
            pipe.execute()
        official.store_incidents(data, "claude", parse_incidents(json.dumps(page)), time.time())
        official.store_components(data, "claude", parse_components(json.dumps(page)), time.time())
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield http


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                            HealthCheck.function_scoped_fixture])
def test_every_generated_request_gets_an_answer_its_document_allows(case, server, session):
    case.call_and_validate(base_url=server, session=session)
