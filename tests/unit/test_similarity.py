"""The one MinHash engine: stored signatures keep comparing, and the closest match is the most alike."""

from __future__ import annotations

import numpy as np

from hustings.messages.similarity import (
    NUM_PERM,
    band_keys,
    closest,
    normalise,
    signature,
    signatures,
    text_hash,
)

PILE_ON = "Go back to where you came from, nobody wants you here"


def test_signatures_and_band_keys_are_the_ones_already_stored() -> None:
    # `cluster_member` and `cluster_band` rows hold these; a change of seed, width, scheme or base
    # hash would silently stop new messages matching old ones.
    values = signature(normalise(PILE_ON))
    assert values.dtype == np.uint32 and values.shape == (NUM_PERM,)
    assert [int(v) for v in values[:4]] == [246382579, 231011015, 204200157, 28926773]
    assert band_keys(values)[:2] == ["00a5121225f01b7af9", "01b3b718c697a4a91b"]
    assert (
        text_hash(normalise("Go back")) == "8aaf5e76b6032ccb575364134b378381cbd25ce6a40ce8f70973f29960c920b6"
    )


def test_a_batch_gives_the_signatures_one_at_a_time_would() -> None:
    texts = [normalise(PILE_ON), "", "ok", normalise("Thank you for the surgery on Saturday")]
    assert all((a == signature(t)).all() for a, t in zip(signatures(texts), texts, strict=True))


def test_closest_is_the_most_alike_and_ignores_signatures_of_another_width() -> None:
    base = signature(normalise(PILE_ON))
    variant = signature(normalise("GO BACK to where u came from!!! nobody wants you here @mp"))
    other = signature(normalise("Thank you for holding a surgery in Ashby on Saturday morning"))
    index, score = closest([other, variant], base)
    assert index == 1 and 0.7 <= score < 1.0
    older = base[:64].copy()  # a signature an older release stored at another width
    assert closest([older, other], base)[0] == 1
    assert closest([older], base) == (-1, 0.0)
    assert closest([], base) == (-1, 0.0)
