"""A domain error on a form: beside the field it names, in words, with no field name left in it."""

from __future__ import annotations

from hustings.errors import Conflict, InvalidInput
from hustings.web.forms import form_errors, in_words

FIELDS = {"policy_rule": "policy_rule", "message_id": "message", "reasons": "reasons"}


def test_an_error_goes_beside_the_field_it_names() -> None:
    found = form_errors(
        InvalidInput("policy_rule: rule N1 finds no breach, so the only action under it is no_action"), FIELDS
    )
    assert found.fields == {
        "policy_rule": "Rule N1 finds no breach, so the only action under it is no action"
    }
    assert not found.general and found


def test_an_error_naming_no_field_of_the_form_goes_above_it_without_the_name() -> None:
    found = form_errors(Conflict("apply_to_cluster: claim this item first"), FIELDS)
    assert found.general == "Claim this item first" and not found.fields
    plain = form_errors(Conflict("referral r_1 is closed"), FIELDS)
    assert plain.general == "referral r_1 is closed"


def test_only_the_vocabulary_becomes_words_and_ids_stay_as_they_are() -> None:
    assert in_words("suspend_account or appeal_decided on m_ab12_cd34 for t_demo_priya") == (
        "suspend account or appeal decided on m_ab12_cd34 for t_demo_priya"
    )
