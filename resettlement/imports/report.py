"""What a file import tells its caller (the command, a test, a benchmark)."""

from __future__ import annotations

from dataclasses import dataclass

from resettlement.imports.base import ImportProblem


@dataclass(frozen=True)
class ImportReport:
    """Every problem found (nothing was saved when there is one) and whether the import was a
    dry run. An app's report adds, as fields with a default of 0, how many of each thing the
    file created (households.resources.RosterImportReport: households and members)."""

    problems: list[ImportProblem]
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.problems
