"""The one error type for business-rule violations.

Services raise `RuleViolation`; the API maps it to a 400/403 response once
(`resettlement.api.exceptions.exception_handler`), forms and the admin show its message. The
message is a translatable string; `details` carries machine-readable context such as the row
and column of an import problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _


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


def field_error(field: str, message: str, code: str = "invalid") -> dict[str, str]:
    """One problem with one input, as `RuleViolation.details` lists them."""
    return {"field": field, "message": str(message), "code": code}


def invalid_input(
    errors: Sequence[Mapping[str, Any]], code: str = "invalid_input"
) -> RuleViolation:
    """The refusal of input with problems on named fields: the message counts them and quotes
    the first; `details` lists them all so a form can put each on its field. The API turns
    input that fails to parse into this refusal too (`resettlement.api.base`)."""
    first = errors[0]["message"] if errors else ""
    return RuleViolation(
        code,
        _("输入有误,共 %(n)d 处:%(first)s") % {"n": len(errors), "first": first},
        details=list(errors),
    )


def apply_errors(
    form: Any,
    details: Sequence[Mapping[str, Any]] | None,
    message: str,
    members: Sequence[Any] = (),
) -> None:
    """Show a RuleViolation on a Django form: each detail on the field it names (or on the
    form when the form has no such field), the message on the form when there are none.
    A detail naming a `member` (its index) goes on that form of `members` (a member formset's
    forms, in the order the service was given them) when there is one."""
    if not details:
        form.add_error(None, message)
        return
    for detail in details:
        index = detail.get("member")
        target = form
        if index is not None and index < len(members):
            target = members[index]
        field = detail.get("field")
        target.add_error(field if field in target.fields else None, detail["message"])
