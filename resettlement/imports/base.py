"""The all-or-nothing file import that the household roster (`households.resources`) and the
apartment file (`allocation.resources`) share.

A resource built on `AllOrNothingResource` checks the file's columns and row count first,
then validates every row in memory (`validate_file`) before anything is written: if any row
is wrong nothing is written and every problem is reported by row (as Excel numbers it: the
header is row 1) and column, in the file's column order. A valid file is written in bulk
(`write_batch`), inside one transaction. Exports write Chinese labels whatever the UI
language, with cells Excel would run as formulas neutralised, so an export imports back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.results import Result
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from resettlement.errors import RuleViolation
from resettlement.imports.projects import project_scope
from resettlement.roles import require_permission
from resettlement.spreadsheets import export_row


@dataclass(frozen=True)
class Column:
    """One column of an import file. `key` names the value in a validated row."""

    key: str
    header: str  # fixed Chinese header: the file format does not change with the UI language
    width: int
    required: bool
    help: Any  # lazy translated text for the template's instructions sheet
    choices: type[models.TextChoices] | None = None


@dataclass(frozen=True)
class ImportProblem:
    """One problem in a file: `row` as Excel numbers it (header = 1), None for the whole file;
    `column` is the header as written in the file, "" when about the row or the file."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if not self.column:
            return _("第 %(row)d 行:%(message)s") % {"row": self.row, "message": self.message}
        return _("第 %(row)d 行“%(column)s”列:%(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class ImportRejected(RuleViolation):
    """The whole file was refused (wrong columns, no rows, too many rows)."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        super().__init__("import_rejected", "; ".join(str(p) for p in problems), details=problems)


class ImportResult(Result):
    """An import's result; `headers` are the resource's columns, to order its problems."""

    headers: Sequence[str] = ()


def dataset_problems(
    dataset: tablib.Dataset,
    *,
    headers: Sequence[str],
    ignored_headers: Sequence[str] = (),
    bad_header_hint: str,
    no_rows_message: str,
) -> list[ImportProblem]:
    """Problems that make the whole file unusable: its columns, and its number of rows.
    `ignored_headers` are accepted (once) and not required; the hint and the message say
    what the file should hold."""
    found = [header or "" for header in (dataset.headers or [])]
    known = tuple(headers) + tuple(ignored_headers)
    missing = [header for header in headers if header not in found]
    unknown = [header or _("(空表头)") for header in found if header not in known]
    repeated = [header for header in known if found.count(header) > 1]
    problems = []
    if missing or unknown or repeated:
        parts = []
        if missing:
            parts.append(_("缺少列:%(c)s") % {"c": "、".join(missing)})
        if unknown:
            parts.append(_("无法识别的列:%(c)s") % {"c": "、".join(unknown)})
        if repeated:
            parts.append(_("重复的列:%(c)s") % {"c": "、".join(repeated)})
        problems.append(ImportProblem(1, "", bad_header_hint % {"parts": ";".join(parts)}))
    if len(dataset) == 0:
        problems.append(ImportProblem(None, "", no_rows_message))
    elif len(dataset) > settings.IMPORT_MAX_ROWS:
        problems.append(
            ImportProblem(
                None,
                "",
                _("文件数据行过多(超过 %(m)d 行),请分成几个文件导入。")
                % {"m": settings.IMPORT_MAX_ROWS},
            )
        )
    return problems


def import_problems(result: Result) -> list[ImportProblem]:
    """Every problem an import found, in row and column order."""
    problems: list[ImportProblem] = []
    for error in result.base_errors:
        problems.extend(_problems_from_exception(error.error))
    for error_row in result.error_rows:
        for error in error_row.errors:
            problems.extend(
                ImportProblem(error_row.number + 1, p.column, p.message)
                for p in _problems_from_exception(error.error)
            )
    for invalid in result.invalid_rows:
        for column, messages in invalid.error_dict.items():
            column = "" if column == NON_FIELD_ERRORS else column
            problems.extend(ImportProblem(invalid.number + 1, column, m) for m in messages)
    order = {header: i for i, header in enumerate(getattr(result, "headers", ()))}
    return sorted(problems, key=lambda p: (p.row or 0, order.get(p.column, -1)))


def _problems_from_exception(exc: BaseException) -> list[ImportProblem]:
    if isinstance(exc, ImportRejected):
        return list(exc.details)
    if isinstance(exc, RuleViolation):
        return [ImportProblem(None, "", exc.message)]
    if isinstance(exc, IntegrityError):
        # Only a concurrent registration can get past the checks done in memory.
        return [
            ImportProblem(
                None,
                "",
                _("保存时发现户编号或身份证号刚被他人登记,本次导入已全部撤销,请核对后重新导入。"),
            )
        ]
    return [ImportProblem(None, "", _("导入失败,未保存任何数据:%(e)s") % {"e": exc})]


# -- cells --------------------------------------------------------------------------------


def is_formula(value: Any) -> bool:
    """A formula cell of an xlsx (read as its "=…" text, or openpyxl's array formula), or a
    csv cell Excel would run as one. A leading "+", "-" or "@" is left alone: phone numbers
    and dates may start so; an export's escaped "'=…" (resettlement.spreadsheets) is text."""
    if isinstance(value, ArrayFormula | DataTableFormula):
        return True
    return isinstance(value, str) and value.lstrip().startswith("=") and len(value.strip()) > 1


def formula_message(value: Any) -> str:
    text = value.text if isinstance(value, ArrayFormula) else str(value).strip()
    if len(text) > 40:
        text = text[:40] + "…"
    return _(
        "单元格是公式“%(f)s”,导入只接受填写的内容:请在 Excel 中复制该列,"
        "“选择性粘贴”为数值后重新导入"
    ) % {"f": text}


class ChoiceLabelWidget(widgets.Widget):
    """Exports a choice as its Chinese label, which the import accepts back."""

    def __init__(self, choices: type[models.TextChoices]) -> None:
        super().__init__()
        self.choices = choices

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return str(self.choices(value).label) if value else ""


class TextWidget(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return str(value)


# -- the resource -------------------------------------------------------------------------


@dataclass
class ImportRow:
    """One data row after validation. `number` is the row as Excel numbers it; `errors`
    are keyed by column key (any other key is about the whole row)."""

    number: int
    blank: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def validation_error(self, column_by_key: dict[str, Column]) -> ValidationError:
        by_column: dict[str, list[str]] = {}
        for key, messages in self.errors.items():
            column = column_by_key.get(key)
            by_column.setdefault(column.header if column else NON_FIELD_ERRORS, []).extend(messages)
        return ValidationError(by_column)


class AllOrNothingResource(resources.ModelResource):
    """A resource whose import validates the whole file before writing any of it.

    Subclasses set `columns`, the two permissions and the whole-file messages, and define
    `validate_file` (every row, with the checks across rows), `prepare_valid_file` (what a
    valid file needs before its rows are saved), `fill_instance`, `write_batch` and
    `count_created`. Their Meta should keep use_transactions, use_bulk, skip_diff,
    force_init_instance and clean_model_instances=False: rows are already validated.
    """

    columns: Sequence[Column] = ()
    ignored_headers: Sequence[str] = ()
    import_permission = ""
    export_permission = ""
    bad_header_hint = ""  # with %(parts)s
    no_rows_message = ""
    concurrent_message = ""  # a row the checks passed was taken meanwhile: nothing was saved

    def __init__(self, project=None, user=None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project = project
        self.user = user
        self._rows: list[ImportRow] = []
        self._current: ImportRow | None = None
        self._file_has_errors = False

    @classmethod
    def get_result_class(cls) -> type[ImportResult]:
        return ImportResult

    @property
    def column_by_key(self) -> dict[str, Column]:
        return {column.key: column for column in self.columns}

    # -- hooks ----------------------------------------------------------------------------

    def validate_file(self, dataset: tablib.Dataset) -> list[ImportRow]:
        raise NotImplementedError

    def prepare_valid_file(self) -> None:
        """Called once the whole file is valid, before its rows are saved."""

    def fill_instance(self, instance: models.Model, row: ImportRow) -> None:
        raise NotImplementedError

    def write_batch(self, instances: list[models.Model], batch_size: int | None) -> None:
        raise NotImplementedError

    def count_created(self, result: ImportResult) -> None:
        """Record on `result` what the valid file created."""

    # -- import ---------------------------------------------------------------------------

    def import_data(self, dataset: tablib.Dataset, dry_run: bool = False, **kwargs: Any) -> Result:
        """Validate the whole file, then save all of it or nothing (see the module doc)."""
        self.user = kwargs.get("user") or self.user
        require_permission(self.user, self.import_permission)
        if self.project is None:
            raise RuleViolation("no_project", _("请选择要导入到哪个项目。"))
        project_scope().require_access(self.user, self.project)
        problems = dataset_problems(
            dataset,
            headers=[column.header for column in self.columns],
            ignored_headers=self.ignored_headers,
            bad_header_hint=str(self.bad_header_hint),
            no_rows_message=str(self.no_rows_message),
        )
        if problems:
            result = self.get_result_class()()
            result.headers = [column.header for column in self.columns]
            result.total_rows = len(dataset)
            result.append_base_error(self.get_error_result_class()(ImportRejected(problems)))
            return result
        kwargs.update(use_transactions=True, rollback_on_validation_errors=True)
        result = super().import_data(dataset, dry_run=dry_run, **kwargs)
        result.headers = [column.header for column in self.columns]
        return result

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        self._rows = self.validate_file(dataset)
        self._refuse_formulas(dataset)
        self._file_has_errors = any(row.errors for row in self._rows)
        if not self._file_has_errors:
            try:
                self.prepare_valid_file()
            except Exception as exc:
                # Reported once, as the import's error; the rows are passed over, as for
                # a file with errors (what the file needed was not prepared).
                self._file_has_errors = True
                if isinstance(exc, IntegrityError):
                    raise self._concurrent_import() from exc
                raise

    def _refuse_formulas(self, dataset: tablib.Dataset) -> None:
        """A formula cell is refused on its own (its other problems are consequences)."""
        rows = {row.number: row for row in self._rows}
        position = {column.key: dataset.headers.index(column.header) for column in self.columns}
        for number, values in enumerate(dataset, start=2):
            for key, index in position.items():
                if is_formula(values[index]) and number in rows:
                    rows[number].blank = False
                    rows[number].errors[key] = [formula_message(values[index])]

    def before_import_row(self, row: dict, **kwargs: Any) -> None:
        number = kwargs["row_number"]
        # Fewer validated rows than rows means before_import failed (reported once, as the
        # import's error): pass over the rows rather than report each of them.
        rows = self._rows
        self._current = rows[number - 1] if number <= len(rows) else ImportRow(0, blank=True)

    def import_instance(self, instance: models.Model, row: dict, **kwargs: Any) -> None:
        current = self._current
        if current.blank:
            return
        if current.errors:
            raise current.validation_error(self.column_by_key)
        if self._file_has_errors:
            return  # valid itself, but other rows are not: it will not be saved
        self.fill_instance(instance, current)

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        return self._current.blank

    def save_instance(self, instance, is_create: bool, row: dict, **kwargs: Any) -> None:
        if self._file_has_errors:
            return  # nothing of this file will be kept: don't write what is rolled back
        super().save_instance(instance, is_create, row, **kwargs)

    def bulk_create(
        self, using_transactions, dry_run, raise_errors, batch_size=None, result=None
    ) -> None:
        instances = self.create_instances
        if not instances or (result is not None and result.has_errors()):
            self.create_instances.clear()  # an earlier batch failed: all is rolled back
            return
        try:
            with transaction.atomic(using=self.get_db_connection_name()):
                self.write_batch(instances, batch_size)
        except IntegrityError:
            self.handle_import_error(result, self._concurrent_import(), raise_errors)
        except Exception as exc:
            self.handle_import_error(result, exc, raise_errors)
        finally:
            self.create_instances.clear()

    def _concurrent_import(self) -> RuleViolation:
        # Only a concurrent import or registration can get past the checks done in memory.
        return RuleViolation("concurrent_import", str(self.concurrent_message))

    def after_import(self, dataset, result: ImportResult, **kwargs: Any) -> None:
        # Not ModelResource's: it resets the id sequence, for imports that carry ids. Ours
        # never do, and a reset racing another transaction's inserts could move it back.
        if not self._file_has_errors:
            self.count_created(result)

    def filled_rows(self) -> list[ImportRow]:
        return [row for row in self._rows if not row.blank]

    # -- export ---------------------------------------------------------------------------

    def export(self, queryset: QuerySet | None = None, **kwargs: Any) -> tablib.Dataset:
        require_permission(self.user, self.export_permission)
        # Labels in Chinese whatever the UI language, like the headers: the file imports back.
        with translation.override(settings.LANGUAGE_CODE):
            return super().export(queryset, **kwargs)

    def export_resource(self, instance, selected_fields=None, **kwargs: Any) -> list:
        row = super().export_resource(instance, selected_fields, **kwargs)
        return export_row(row)
