"""Settings: secrets never printed, the placeholder secret refused in production."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from hustings.settings import Settings


def test_secrets_are_hidden_from_repr() -> None:
    settings = Settings(
        secret_key=SecretStr("s3cret-value-xyz"), database_url=SecretStr("postgresql://u:hunter2@db/h")
    )
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    assert "s3cret-value-xyz" not in shown
    assert "hunter2" not in shown


def test_the_placeholder_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="HUSTINGS_SECRET_KEY"):
        Settings(environment="production")
    Settings(environment="production", secret_key=SecretStr("a-long-random-production-secret"))


def test_postgres_urls_get_the_psycopg_driver(tmp_path: object) -> None:
    assert (
        Settings(database_url=SecretStr("postgresql://u@h/db")).sqlalchemy_url
        == "postgresql+psycopg://u@h/db"
    )
    assert Settings(data_dir=tmp_path).sqlalchemy_url.startswith("sqlite:///")


def test_detector_thresholds_read_as_pairs_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUSTINGS_DETECT_THRESHOLDS", "abuse=0.3, threat = 0.1")
    assert Settings().detect_thresholds == {"abuse": 0.3, "threat": 0.1}
    monkeypatch.setenv("HUSTINGS_DETECT_THRESHOLDS", '{"identity_hate": 0.4}')
    assert Settings().detect_thresholds == {"identity_hate": 0.4}
    monkeypatch.setenv("HUSTINGS_DETECT_THRESHOLDS", "")
    assert Settings().detect_thresholds == {}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abus=0.3", "unknown label 'abus'"),
        ("abuse=1.3", "threshold for abuse is '1.3'; it must lie in 0..1"),
        ("abuse=high", "threshold for abuse is 'high', not a number"),
        ("abuse=0.3,threat", "'threat' is not label=value"),
        ('{"abuse": ', "not a valid JSON object"),
        ("[0.3]", "is not label=value"),
    ],
)
def test_bad_detector_thresholds_name_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("HUSTINGS_DETECT_THRESHOLDS", value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert raised.value.errors()[0]["loc"] == ("detect_thresholds",)
    assert problem in str(raised.value)
