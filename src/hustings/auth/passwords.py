"""The one password policy, applied wherever a password is set (CLI, admin page, delegate API).

A password must be 12 to 200 characters, and zxcvbn (Dropbox's estimator, which ships its lists
of the 30,000 most common passwords, English words and names inside the package) must rate it at
least 3 of 4: "safely unguessable" at about 10^8 guesses or more, with the user's own name
counted as a word an attacker would try. Nothing is fetched at run time.
"""

from __future__ import annotations

from hustings.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_SCORE = 3
_SCORED_PREFIX = 100
"""zxcvbn's cost grows quickly with length; past 100 characters more text only adds strength.
(zxcvbn itself refuses more than 72 unless told its limit, so it is told this one.)"""


def check_new_password(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """Refuse a password that breaks the policy, with an `InvalidInput` naming the field.

    `user_inputs` are words about this user (their name, display name) that a guesser would try
    first; a password built from them is scored as weak.
    """
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password: must be at least {MIN_LENGTH} characters (it has {len(password)})")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password: must be at most {MAX_LENGTH} characters (it has {len(password)})")
    from zxcvbn import zxcvbn

    words = [word for word in (*user_inputs, "hustings") if word]
    verdict = zxcvbn(password[:_SCORED_PREFIX], user_inputs=words, max_length=_SCORED_PREFIX)
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        why = feedback["warning"] or " ".join(feedback["suggestions"]) or "it follows a common pattern."
        raise InvalidInput(
            f"password: too easy to guess ({why.rstrip('.')}); choose a longer phrase of unrelated words"
        )
