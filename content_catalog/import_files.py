"""The two import/export file formats, CSV and JSON, as bytes ⇄ rows (docs/import-format.md).
Design: docs/design/content_catalog.md."""
from __future__ import annotations

import codecs
import csv
import io
import json
import re
from typing import Any, Iterable, Sequence

from content_catalog.modules import ModuleInput, module_to_dict
from content_catalog.strict_json import JsonRefused, loads_strict
from content_catalog.taxonomy import Dimension

DEFAULT_MAX_BYTES = 20_000_000
TAG_SEPARATOR = "|"
TAG_COLUMNS = {f"tags.{dim.value}": dim for dim in Dimension}
FIELD_COLUMNS = (
    "id", "title", "summary", "body", "link", "kind", "audience", "author", "status", "review_by",
)  # fmt: skip
#: Columns (and JSON keys) a file may leave out: files written before they existed still import.
OPTIONAL_COLUMNS = ("for_partners",)
CSV_COLUMNS = FIELD_COLUMNS + tuple(TAG_COLUMNS) + OPTIONAL_COLUMNS
JSON_KEYS = FIELD_COLUMNS + ("tags",)
#: CSV cells a yes/no column takes; any other text is left for the module's parsing to refuse.
_FLAG_CELLS = {"true": True, "false": False, "": False}
#: What an export of a stored module may add; an import ignores them.
JSON_IGNORED_KEYS = ("version", "updated_at")

#: Cell starts OWASP lists as formula triggers, plus their full-width forms, which some
#: spreadsheets also accept.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PROTECTION = "'"
UTF8_BOM = "\ufeff"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class ImportFileError(ValueError):
    """The file cannot be imported at all; ``row`` is the Nth module in it, ``line`` the line."""

    def __init__(
        self,
        message: str,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
    ):
        self.message = message
        self.row = row
        self.column = column
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}" + (f" (line {self.line})" if self.line else ""))
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class SourceRows(list):
    """Rows in the module JSON shape, remembering their file's format and, for CSV, the line
    each row starts on (``lines[n - 1]`` for row ``n``), so errors can point into the file."""

    def __init__(self, rows: Iterable[dict[str, Any]], format: str, lines: Sequence[int] = ()):
        super().__init__(rows)
        self.format = format
        self.lines = tuple(lines)


# -- CSV ----------------------------------------------------------------------------------------
def read_csv(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceRows:
    """Rows of a CSV file: UTF-8 (with or without BOM), a header naming every column once."""
    text = _decode(data, max_bytes, locate=_locate_in_csv)
    records = _records(text)
    header_line, header = next(records, (1, []))
    columns = _check_header([name.strip() for name in header], header_line)
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for line, record in records:
        row = len(rows) + 1
        if len(record) != len(columns):
            raise ImportFileError(
                f"has {len(record)} fields but the header has {len(columns)} "
                "(a value with a comma, quote or line break must be in double quotes)",
                row=row, line=line,
            )  # fmt: skip
        cells = {name: _unprotect(cell) for name, cell in zip(columns, record)}
        rows.append(_row_from_cells(cells))
        lines.append(line)
    return SourceRows(rows, "csv", lines)


def write_csv(modules: Iterable[ModuleInput]) -> bytes:
    """RFC 4180 CSV (CRLF between records, quotes only where needed) with a UTF-8 BOM, so that
    spreadsheets open it as UTF-8."""
    buffer = io.StringIO(newline="")
    buffer.write(UTF8_BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for module in modules:
        writer.writerow([_protect(cell) for cell in _cells(module)])
    return buffer.getvalue().encode("utf-8")


def _records(text: str):
    """(line the record starts on, cells) for each record that is not blank."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    last_line = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(f"is not well-formed CSV ({exc})", line=last_line + 1) from None
        start, last_line = last_line + 1, reader.line_num
        if any(cell.strip() for cell in record):
            yield start, record


def _check_header(header: list[str], line: int) -> list[str]:
    if not header:
        raise ImportFileError("has no header row; the first row must name the columns", line=line)
    repeated = sorted({name for name in header if header.count(name) > 1})
    missing = [name for name in CSV_COLUMNS if name not in header and name not in OPTIONAL_COLUMNS]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        hint = ""
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            hint = " The file seems to separate values with semicolons or tabs; it must use commas."
        expected = f"Expected the columns {', '.join(CSV_COLUMNS)}, in any order."
        raise ImportFileError(f"header: {'; '.join(problems)}. {expected}{hint}", line=line)
    return header


def _row_from_cells(cells: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {name: cells[name] for name in FIELD_COLUMNS}
    row["link"] = cells["link"] or None
    row["review_by"] = cells["review_by"] or None
    row["tags"] = {
        dim.value: [v.strip() for v in cells[column].split(TAG_SEPARATOR) if v.strip()]
        for column, dim in TAG_COLUMNS.items()
    }
    flag = cells.get("for_partners", "")
    row["for_partners"] = _FLAG_CELLS.get(flag.strip().lower(), flag)
    return row


class UnexportableValue(ValueError):
    """A value the chosen format cannot hold without changing it on the way back in."""


def _cells(module: ModuleInput) -> list[str]:
    raw = module_to_dict(module)
    cells = ["" if raw[name] is None else raw[name] for name in FIELD_COLUMNS]
    for dim in TAG_COLUMNS.values():
        values = raw["tags"][dim.value]
        for value in values:
            if TAG_SEPARATOR in value:
                # No taxonomy value has one; a file that splits it on import is worse than none.
                raise UnexportableValue(
                    f"module {module.key}: tag {dim.value} {value!r} contains {TAG_SEPARATOR!r}, "
                    "which CSV uses between values; export this catalog as JSON"
                )
        cells.append(TAG_SEPARATOR.join(values))
    cells.append("true" if raw["for_partners"] else "false")
    return cells


def _protect(cell: str) -> str:
    return PROTECTION + cell if cell.startswith(FORMULA_STARTS + (PROTECTION,)) else cell


def _unprotect(cell: str) -> str:
    return cell[len(PROTECTION):] if cell.startswith(PROTECTION) else cell


def _locate_in_csv(text: str) -> tuple[int | None, str | None]:
    """Row and column of the first undecodable byte (a lone surrogate after surrogateescape)."""
    bad = re.compile("[\udc80-\udcff]")
    try:
        records = _records(text)
        _, header = next(records, (1, []))
        for row, (_, record) in enumerate(records, start=1):
            for index, cell in enumerate(record):
                if bad.search(cell):
                    return row, header[index].strip() if index < len(header) else None
    except ImportFileError:
        pass  # a file broken in more ways than one: the offset and line will do
    return None, None


# -- JSON ---------------------------------------------------------------------------------------
def read_json(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceRows:
    """Rows of a JSON file: a list of module objects, each with every key of the format."""
    text = _decode(data, max_bytes)
    try:
        value = loads_strict(text, object_pairs_hook=_object_without_repeated_keys)
    except JsonRefused as exc:
        raise _refused(exc) from None
    except _RepeatedKey as exc:
        message = f"is not valid JSON: an object has the key {exc.key!r} twice"
        raise ImportFileError(message) from None
    if not isinstance(value, list):
        raise ImportFileError("must be a JSON list of module objects ([{...}, {...}])")
    for row, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise ImportFileError(f"must be a module object, not {type(item).__name__}", row=row)
        _check_keys(item, row)
    return SourceRows(value, "json")


def write_json(modules: Iterable[ModuleInput]) -> bytes:
    """A JSON list, two-space indented, non-ASCII text as itself, a newline at the end."""
    rows = [_json_row(module_to_dict(module)) for module in modules]
    return (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_row(raw: dict[str, Any]) -> dict[str, Any]:
    """Only what an import reads: version and timestamps differ between catalogs, and the same
    content must export to the same bytes wherever it is stored."""
    return {key: raw[key] for key in JSON_KEYS + OPTIONAL_COLUMNS}


def _refused(exc: JsonRefused) -> ImportFileError:
    """Strict JSON's refusal, pointing at the row and field when it names them."""
    if exc.line is not None:  # not JSON at all: json's own message already ends in the column
        return ImportFileError(exc.message.replace(f"(line {exc.line}, ", "("), line=exc.line)
    where = _ROW_PATH.match(exc.path or "")
    if where is None:
        return ImportFileError(str(exc))
    return ImportFileError(exc.message, row=int(where["index"]) + 1, column=where["field"] or None)


_ROW_PATH = re.compile(r"\[(?P<index>\d+)\]\.?(?P<field>.*)")


class _RepeatedKey(ValueError):
    def __init__(self, key: str):
        self.key = key
        super().__init__(key)


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        raise _RepeatedKey(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return obj


def _check_keys(item: dict[str, Any], row: int) -> None:
    missing = [key for key in JSON_KEYS if key not in item]
    unknown = [key for key in item
               if key not in JSON_KEYS + OPTIONAL_COLUMNS and key not in JSON_IGNORED_KEYS]
    if missing or unknown:
        problems = [f"missing key(s): {', '.join(missing)}"] if missing else []
        problems += [f"unknown key(s): {', '.join(map(repr, unknown))}"] if unknown else []
        raise ImportFileError(
            f"{'; '.join(problems)}. Every module has the keys {', '.join(JSON_KEYS)}.",
            row=row, column=None,
        )  # fmt: skip


# -- both ---------------------------------------------------------------------------------------
def _decode(data: bytes, max_bytes: int, locate=None) -> str:
    if len(data) > max_bytes:
        raise ImportFileError(f"is {len(data):,} bytes; the limit is {max_bytes:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc, locate) from None
    if not text.strip():
        raise ImportFileError("is empty")
    return text


def _not_utf8(data: bytes, exc: UnicodeDecodeError, locate) -> ImportFileError:
    # utf-8-sig reports positions after the BOM it removed: count from the file's first byte.
    offset = exc.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
    line = len(_LINE_BREAK.findall(data[:offset].decode("utf-8-sig", errors="replace"))) + 1
    row = column = None
    if locate is not None:
        row, column = locate(data.decode("utf-8-sig", errors="surrogateescape"))
    return ImportFileError(
        f"is not UTF-8: byte 0x{data[offset]:02X} at offset {offset} cannot be read as UTF-8. "
        "Save the file as UTF-8 (in Excel: \"CSV UTF-8\") and import it again.",
        row=row, column=column, line=line,
    )  # fmt: skip
