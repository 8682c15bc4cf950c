"""The shipped detector behind the service: ad-hoc assessment, and assessment on ingest."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hustings.auth.model import Role
from hustings.detect import LABELS, Label, default_thresholds
from hustings.services import Services
from hustings.settings import Settings
from tests.conftest import MakeUser, bearer, sample_message

THREAT = "Watch your back. We know which way you walk home from the station."
CRITICISM = "Your housing policy is a shambles and you should resign."


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_assess_scores_texts_in_order_with_evidence(client: TestClient, make_user: MakeUser) -> None:
    _, token = make_user(Role.FLAGGER)
    response = client.post("/v1/assess", json={"texts": [THREAT, CRITICISM]}, headers=bearer(token))
    assert response.status_code == 200, response.text
    threat, criticism = response.json()["assessments"]
    assert "threat" in threat["flagged"]
    assert threat["evidence"] and all(THREAT[e["start"] : e["end"]] == e["text"] for e in threat["evidence"])
    assert criticism["flagged"] == []
    assert set(threat["labels"]) == {"threat", "sexual_harassment", "identity_hate", "abuse", "doxxing"}
    assert "@" in threat["model"]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_assess_refuses_an_empty_list_naming_the_field(client: TestClient, make_user: MakeUser) -> None:
    _, token = make_user(Role.ANALYST)
    response = client.post("/v1/assess", json={"texts": []}, headers=bearer(token))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body.texts"


def test_every_ingested_message_is_assessed_as_an_event(
    client: TestClient, make_user: MakeUser, services: Services, settings: Settings
) -> None:
    settings.assess_on_ingest = True
    _, token = make_user(Role.ADMIN)
    body = client.post(
        "/v1/messages",
        json={"messages": [sample_message("t", text=THREAT), sample_message("c", text=CRITICISM)]},
        headers=bearer(token),
    ).json()
    threat_id, criticism_id = body["ids"]
    assessed = [e for e in services.events.events_for("message", threat_id) if e.kind == "message.assessed"]
    assert len(assessed) == 1
    assert assessed[0].model is not None and assessed[0].actor == f"model:{assessed[0].model}"
    assert "threat" in assessed[0].payload["flagged"]
    calm = [e for e in services.events.events_for("message", criticism_id) if e.kind == "message.assessed"]
    assert calm[0].payload["flagged"] == []


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_configured_thresholds_apply_to_assessment_and_ingest(
    client: TestClient, make_user: MakeUser, services: Services, settings: Settings
) -> None:
    _, token = make_user(Role.ADMIN)
    before = client.post("/v1/assess", json={"texts": [THREAT]}, headers=bearer(token)).json()["assessments"][
        0
    ]
    settings.detect_thresholds = {"threat": 1.0, "abuse": 1.0}
    settings.assess_on_ingest = True
    after = client.post("/v1/assess", json={"texts": [THREAT]}, headers=bearer(token)).json()["assessments"][
        0
    ]
    assert "threat" in before["flagged"] and "threat" not in after["flagged"]
    assert after["labels"] == before["labels"]  # the operating point moved, not the scores
    body = client.post(
        "/v1/messages", json={"messages": [sample_message("t", text=THREAT)]}, headers=bearer(token)
    )
    assessed = [
        e
        for e in services.events.events_for("message", body.json()["ids"][0])
        if e.kind == "message.assessed"
    ]
    assert "threat" not in assessed[0].payload["flagged"]
    shipped = default_thresholds()
    assert services.thresholds() == {
        label: 1.0 if label in (Label.THREAT, Label.ABUSE) else shipped[label] for label in LABELS
    }
