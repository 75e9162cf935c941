"""Settlement's answers to `households.signals` (connected in `SettlementConfig.ready`).

- `facts_changing`: a settled household changes only under a leader's open correction
  (`settlement.gates.facts_may_change`); the refusal undoes the registry's change.
- `facts_changed`: the household's statement is reopened and recomputed, its approvals
  restarted (`settlement.services.statements.statement_reopen`).
"""

from __future__ import annotations

from settlement import gates
from settlement.services.statements import statement_reopen


def refuse_change_after_settlement(sender, *, household, **kwargs) -> None:
    gates.facts_may_change(household)


def reopen_statement(sender, *, household, fields=(), actor=None, reason="", **kwargs) -> None:
    statement_reopen(household=household, actor=actor, fields=fields, reason=reason)
