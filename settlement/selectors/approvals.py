"""The approvals of a statement's current round and the rounds sent back."""

from __future__ import annotations

from dataclasses import dataclass

from settlement.models import (
    Statement,
    StatementApproval,
    StatementSendBack,
)


def current_approvals(statement: Statement) -> list[StatementApproval]:
    """The approvals of the statement's current round, in step order (prefetched ones are
    used: see `statement_detail`)."""
    return sorted(
        (a for a in statement.approvals.all() if a.round == statement.approval_round),
        key=lambda a: a.position,
    )


@dataclass(frozen=True)
class SentBackRound:
    """An earlier round of the approval chain: the send-back that ended it and the
    approvals it superseded."""

    send_back: StatementSendBack
    approvals: list[StatementApproval]


def send_back_history(statement: Statement) -> list[SentBackRound]:
    """Every send-back of the statement, oldest first, each with its round's approvals
    (prefetched ones are used: see `statement_detail`)."""
    approvals = sorted(statement.approvals.all(), key=lambda a: (a.round, a.position))
    return [
        SentBackRound(send_back, [a for a in approvals if a.round == send_back.round])
        for send_back in sorted(statement.send_backs.all(), key=lambda s: s.round)
    ]
