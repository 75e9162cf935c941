"""The oversight API (/api/oversight/): the overdue-return ledger and the dashboard's figures,
read-only, from the selectors the staff pages use."""
