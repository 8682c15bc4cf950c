"""Which partition a message goes to: one target's messages together, whatever handle names it."""

from __future__ import annotations

from hustings.messages.model import MessageIn
from hustings.stream.partition import partition_of, partition_of_target
from tests.conftest import sample_message


def item(**overrides: object) -> MessageIn:
    return MessageIn.model_validate(sample_message(**overrides))


def test_a_registered_target_has_one_partition_across_its_handles_and_sources() -> None:
    targets = {("x", "priya"): "t_priya", ("bluesky", "priya.bsky.social"): "t_priya"}
    on_x = partition_of(item(targets=["@Priya"]), 64, targets)
    on_bluesky = partition_of(item(source="bluesky", targets=["priya.bsky.social"]), 64, targets)
    assert on_x == on_bluesky


def test_unregistered_handles_and_authors_spread_over_every_partition() -> None:
    by_handle = {partition_of(item(targets=[f"@someone{n}"]), 8, {}) for n in range(200)}
    by_author = {
        partition_of(item(targets=[], author={"id": str(n), "handle": f"@a{n}"}), 8, {}) for n in range(200)
    }
    assert by_handle == by_author == set(range(8))


def test_the_first_registered_target_decides_not_the_first_handle() -> None:
    targets = {("x", "priya"): "t_priya"}
    assert partition_of(item(targets=["@nobody", "@priya"]), 1024, targets) == partition_of(
        item(targets=["@priya"]), 1024, targets
    )


def test_a_registered_targets_messages_and_its_pile_on_state_share_a_partition() -> None:
    """The worker sweeps the targets of the partition it stores (`partition_of_target`): they
    must be the targets whose messages that partition carries."""
    targets = {("x", f"cand{n}"): f"t_{n}" for n in range(100)}
    for n in range(100):
        assert partition_of(item(targets=[f"@cand{n}"]), 16, targets) == partition_of_target(f"t_{n}", 16)
