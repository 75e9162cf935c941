"""What later stages hear when a household's facts change after a gate.

The households services own every change to a household and its members; the stages that
built on those facts (publicity, settlement) must react — but an earlier stage never imports a
later one. So the services send these two signals and the later stages connect receivers in
their `AppConfig.ready`:

- `facts_changing` — sent inside the service's transaction *before* the change is saved, with
  `household`, `fields` (names of what changes), `actor` and `reason`. A receiver refuses the
  change by raising `resettlement.errors.RuleViolation` (settlement: a settled case changes only
  under an open correction). Nothing is saved when a receiver refuses.
- `facts_changed` — sent inside the same transaction *after* the change is saved, with the same
  arguments. A receiver re-opens what the change invalidates (settlement: the statement marked
  stale, recomputed, its approvals restarted). A receiver that raises undoes the whole change.
"""

from django.dispatch import Signal

facts_changing = Signal()
facts_changed = Signal()
