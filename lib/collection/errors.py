"""What can go wrong in a collection round, each with a message a person can act on."""

from __future__ import annotations


class CollectionError(Exception):
    """A clear, user-facing message: nothing was changed."""


class CollectionBusy(CollectionError):
    """Another process holds the rows (or the working database) a change needs, after a wait."""


BAD_TOKEN_MESSAGE = ("This link does not work. It may have been mistyped, replaced by a newer link, or the "
                     "survey may have ended. Ask the person who sent it for a new link.")


class BadToken(CollectionError):
    """A link that does not open a questionnaire. Always the same message, naming nothing, so it
    never tells whether a token exists."""

    def __init__(self) -> None:
        super().__init__(BAD_TOKEN_MESSAGE)


class Stale(CollectionError):
    """Someone else saved newer answers to these questions since the page was shown."""

    def __init__(self, message: str, questions: list[str]) -> None:
        super().__init__(message)
        self.questions = questions


class MissingAnswers(CollectionError):
    """Required answers are missing (or pre-filled and not yet confirmed)."""

    def __init__(self, message: str, questions: list[str]) -> None:
        super().__init__(message)
        self.questions = questions
