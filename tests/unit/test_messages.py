"""The ingest schema: errors name the field, ids are stable, good messages survive bad neighbours."""

from __future__ import annotations

from datetime import UTC, datetime

from hustings.messages.changes import AtSource, SourceChange, at_source, validate_changes
from hustings.messages.model import message_id, validate_batch
from tests.conftest import sample_message


def test_a_bad_message_is_rejected_with_the_field_named_and_the_good_ones_kept() -> None:
    bad_author = sample_message("2")
    del bad_author["author"]["handle"]
    bad_date = sample_message("3", created_at="yesterday")
    naive_date = sample_message("4", created_at="2026-05-06T21:15:00")
    valid, rejected = validate_batch([sample_message("1"), bad_author, bad_date, "text", naive_date])
    assert [index for index, _ in valid] == [0]
    errors = {item.index: item.error for item in rejected}
    assert "author.handle" in errors[1]
    assert "created_at" in errors[2]
    assert "JSON object" in errors[3]
    assert "created_at" in errors[4] and "timezone" in errors[4]


def test_unknown_fields_are_named() -> None:
    _, rejected = validate_batch([sample_message("1", colour="red")])
    assert rejected[0].error.startswith("colour:")


def test_message_ids_depend_only_on_source_and_external_id() -> None:
    assert message_id("x", "1") == message_id("x", "1")
    assert message_id("x", "1") != message_id("bluesky", "1")
    assert message_id("x", "1") != message_id("x", "2")


def test_source_is_normalised_to_lower_case() -> None:
    valid, _ = validate_batch([sample_message("1", source="Bluesky")])
    assert valid[0][1].source == "bluesky"


def test_the_published_schema_matches_the_model() -> None:
    import json
    from pathlib import Path

    from hustings.messages.model import MessageIn

    published = json.loads((Path(__file__).parents[2] / "docs/schema/message.schema.json").read_text())
    assert published == MessageIn.model_json_schema(), "regenerate docs/schema/message.schema.json"


def test_the_published_change_schema_matches_the_model() -> None:
    import json
    from pathlib import Path

    from hustings.messages.model import SourceChangeIn

    published = json.loads((Path(__file__).parents[2] / "docs/schema/change.schema.json").read_text())
    assert published == SourceChangeIn.model_json_schema(), "regenerate docs/schema/change.schema.json"


def test_the_marker_of_a_change_at_source_has_times_and_never_text() -> None:
    assert at_source({"flagged": ["threat"]}) is None  # never changed at source
    edited = at_source({"edits": 2, "edited_at": "2026-12-08T18:23:00+00:00", "revision": "r2"})
    assert edited == AtSource(2, datetime(2026, 12, 8, 18, 23, tzinfo=UTC), None)
    gone = at_source({"deleted_at_source": "2026-12-09T08:00:00+00:00"})
    assert gone == AtSource(0, None, datetime(2026, 12, 9, 8, 0, tzinfo=UTC))


def test_a_change_reads_back_from_its_json_and_its_key_names_what_it_did() -> None:
    at = datetime(2026, 5, 6, 21, 30, tzinfo=UTC)
    changes = [
        SourceChange("x", "1", "new words", at),
        SourceChange("x", "1", None),
        SourceChange("x", "1", "new words"),
        SourceChange("x", "2", "new words", at),
    ]
    valid, rejected = validate_changes([change.to_json() for change in changes])
    assert rejected == []
    assert [change for _, change in valid] == changes
    assert len({change.key for change in changes}) == len(changes)
    assert SourceChange("x", "1", "new words", at).key == changes[0].key
