"""The one error type for business-rule violations.

Services raise `RuleViolation`; the API maps it to a 400/403 response once
(`resettlement.api.exception_handler`), forms and the admin show its message. The message is
a translatable string; `details` carries machine-readable context such as the row and
column of an import problem.
"""

from __future__ import annotations

from typing import Any


class RuleViolation(Exception):
    """A request broke a business rule. `code` is stable; `message` is for people."""

    status_code = 400

    def __init__(self, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.details = details

    def __str__(self) -> str:
        return self.message


class NotAllowed(RuleViolation):
    """The actor lacks the role, or the four-eyes rule forbids this actor on this record."""

    status_code = 403
