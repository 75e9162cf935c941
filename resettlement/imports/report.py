"""What a file import tells its caller (the command, a test, a benchmark)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Self

from import_export.results import Result

from resettlement.imports.base import ImportProblem, import_problems


@dataclass(frozen=True)
class ImportReport:
    """Every problem found (nothing was saved when there is one) and whether the import was a
    dry run. An app's report adds, as fields with a default of 0, how many of each thing the
    file created, named like the counts its resource leaves on the import result
    (households.resources.RosterImportReport: households and members)."""

    problems: list[ImportProblem]
    dry_run: bool

    @classmethod
    def of(cls, result: Result, *, dry_run: bool) -> Self:
        """The report of a resource's `import_data` result: its problems, or when there is
        none the counts the resource left on the result under the report's field names."""
        problems = import_problems(result)
        if problems:
            return cls(problems, dry_run)
        counts = {f.name: getattr(result, f.name) for f in fields(cls)[2:]}
        return cls([], dry_run, **counts)

    @property
    def ok(self) -> bool:
        return not self.problems
