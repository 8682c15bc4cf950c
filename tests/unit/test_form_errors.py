"""A domain error is placed beside the form field it names, in words; an error naming no field
of the form is about the form as a whole."""

from __future__ import annotations

from hustings.errors import InvalidInput, NotFound
from hustings.web.form_errors import field_error


def test_an_error_naming_a_field_of_the_form_goes_beside_it_in_words() -> None:
    problem = field_error(InvalidInput("word: must be 1 to 100 characters"), ("word",))
    assert problem.field == "word" and problem.words == "Must be 1 to 100 characters"
    assert problem.on("word") == "Must be 1 to 100 characters" and problem.on("note") == ""


def test_an_error_naming_another_field_is_about_the_whole_form() -> None:
    problem = field_error(NotFound("message_id: no message 'm1' for this target"), ("category", "note"))
    assert problem.field == "" and problem.words == "message_id: no message 'm1' for this target"
    assert problem.on("note") == ""
