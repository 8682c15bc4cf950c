"""One mapping of codes to words and one date format for every page (and the demo's output)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from hustings.demo import USERS, logins
from hustings.settings import Settings
from hustings.wording import day, plain, when


def test_codes_read_as_words_and_unknown_ones_never_raw() -> None:
    assert plain("with_police") == "with the police"
    assert plain("crime_recorded") == "crime recorded"
    assert plain("appeal_decided") == "appeal decided"
    assert plain("shield_unknown_account 4") == "held by the shield: an account that has not written before (4)"
    assert plain("some_new_code") == "some new code"  # not in the table: still words
    assert plain("A sentence, left alone.") == "A sentence, left alone."


def test_one_date_format_in_local_time() -> None:
    winter = datetime(2026, 12, 8, 18, 23, tzinfo=UTC)
    summer = datetime(2026, 6, 8, 18, 23, tzinfo=UTC)
    assert when(winter) == "8 Dec 2026, 18:23"
    assert when(summer) == "8 Jun 2026, 19:23"  # British Summer Time
    assert when("2026-12-08T18:23:00+00:00") == "8 Dec 2026, 18:23"
    assert day(date(2026, 12, 8)) == "8 Dec 2026" and when(None) == ""


def test_the_demo_names_every_user_with_their_roles_and_password() -> None:
    lines = logins("pw-for-the-demo")
    assert len(lines) == len(USERS)
    police = next(line for line in lines if line.startswith("police "))
    assert "'pw-for-the-demo'" in police and "police liaison" in police and "police_liaison" not in police


def test_the_mail_password_is_a_secret() -> None:
    settings = Settings(environment="test", smtp_host="mail.example", smtp_password="hunter2-very-secret")
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())


def test_a_page_that_is_not_there_is_a_page(client: TestClient) -> None:
    html = client.get("/no/such/page", headers={"accept": "text/html"})
    assert html.status_code == 404 and "Not found" in html.text and "<nav" not in html.text  # nobody logged in
    assert client.get("/no/such/page").json() == {"detail": "Not Found"}  # an API caller gets JSON
    assert client.get("/favicon.ico").headers["content-type"].startswith("image/svg+xml")


def test_a_custody_time_keeps_its_seconds_and_timeline_kinds_read_as_words() -> None:
    moment = datetime(2026, 12, 8, 18, 23, 5, tzinfo=UTC)
    assert when(moment, seconds=True) == "8 Dec 2026, 18:23:05"
    assert when(moment) == "8 Dec 2026, 18:23"
    assert plain("message.edited") == "edited at source"
    assert plain("incident.opened") == "pile-on opened"
