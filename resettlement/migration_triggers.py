"""Database triggers installed by migrations: the rules the database keeps itself, whatever
issues the statement (an audit entry is append-only, a published snapshot and its rows are
frozen, a signed lottery session cannot change). Each such migration gives its statements
for PostgreSQL and for SQLite (the embedded database), to create the triggers and to drop
them; this module runs the right ones. Only those two databases are supported.

Kept small and stable: migrations import it, so what it does must not change under them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

Operation = Callable[[object, object], None]


def triggers_for_each_database(
    what: str,
    *,
    postgresql: Sequence[str],
    sqlite: Sequence[str],
    drop_postgresql: Sequence[str],
    drop_sqlite: Sequence[str],
) -> tuple[Operation, Operation]:
    """The forward and backward functions of a RunPython that creates (and drops) `what`'s
    triggers with the statements for the migrating database."""

    def run(statements: dict[str, Sequence[str]]) -> Operation:
        def operation(apps, schema_editor) -> None:
            vendor = schema_editor.connection.vendor
            if vendor not in statements:
                raise RuntimeError(f"No {what} trigger for {vendor}")
            # A plain cursor: the PL/pgSQL's "%" placeholders are not Python parameters.
            with schema_editor.connection.cursor() as cursor:
                for statement in statements[vendor]:
                    cursor.execute(statement)

        return operation

    return (
        run({"postgresql": postgresql, "sqlite": sqlite}),
        run({"postgresql": drop_postgresql, "sqlite": drop_sqlite}),
    )
