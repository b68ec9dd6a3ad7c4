"""A module marked "for partners": parsed strictly, stored, kept in history, and carried by both
import formats (files written before the flag existed still import, as not for partners)."""
import csv
import io
import json

import pytest

from content_catalog.database import session_factory
from content_catalog.history import CatalogHistory
from content_catalog.import_export import (
    CSV_COLUMNS, ImportFileError, ImportRejected, export_modules, read_csv, read_json, run_import,
    validate_rows,
)
from content_catalog.import_files import OPTIONAL_COLUMNS
from content_catalog.modules import ModuleValidationError, module_to_dict, parse_module
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import default_taxonomy

ORG = "00DA0000000AaaaMAC"


@pytest.fixture
def sessions(engine):
    factory = session_factory(engine)
    with factory.begin() as session:
        ensure_org(session, ORG, "Acme")
    return factory


def raw_module(**overrides) -> dict:
    raw = {"id": "m", "title": "Partner kit", "kind": "playbook", "audience": "internal",
           "author": "Channel team", "status": "published"}
    raw.update(overrides)
    return raw


def csv_file(columns, rows) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_a_module_is_not_for_partners_unless_it_says_so(taxonomy):
    assert parse_module(raw_module(), taxonomy).for_partners is False
    assert parse_module(raw_module(for_partners=None), taxonomy).for_partners is False
    assert parse_module(raw_module(for_partners=True), taxonomy).for_partners is True


@pytest.mark.parametrize("value", ["true", 1, "yes", [], {}])
def test_for_partners_takes_only_a_json_boolean(taxonomy, value):
    with pytest.raises(ModuleValidationError) as caught:
        parse_module(raw_module(for_partners=value), taxonomy)
    [error] = caught.value.errors
    assert error.field == "for_partners" and error.message == "must be true or false"


def test_the_flag_is_stored_and_each_change_is_a_new_version(sessions, module_factory):
    with sessions.begin() as session:
        CatalogRepository(session, ORG).upsert_many([module_factory("kit")])
    with sessions.begin() as session:
        result = CatalogRepository(session, ORG).upsert_many(
            [module_factory("kit", for_partners=True)])
    assert result.updated == 1
    with sessions() as session:
        module = CatalogRepository(session, ORG).get("kit")
        [newest, first] = CatalogHistory(session, ORG).versions("kit")
    assert module.for_partners is True and module.version == 2
    assert (newest.module.for_partners, first.module.for_partners) == (True, False)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_keeps_the_flag(sessions, module_factory, taxonomy, fmt):
    with sessions.begin() as session:
        CatalogRepository(session, ORG).upsert_many(
            [module_factory("kit", for_partners=True), module_factory("direct")])
        data = export_modules(CatalogRepository(session, ORG).list(), fmt)
    rows = (read_csv if fmt == "csv" else read_json)(data)
    assert {m.key: m.for_partners for m in validate_rows(rows, taxonomy)} == {
        "kit": True, "direct": False}


def test_a_csv_file_without_the_column_imports_as_not_for_partners(sessions, taxonomy):
    columns = [c for c in CSV_COLUMNS if c not in OPTIONAL_COLUMNS]
    row = {c: "" for c in columns} | {"id": "old", "title": "Old file", "kind": "case_study",
                                       "audience": "client_facing", "author": "A",
                                       "status": "published"}
    data = csv_file(columns, [[row[c] for c in columns]])
    with sessions.begin() as session:
        run_import(session, ORG, read_csv(data), taxonomy, "test")
    with sessions() as session:
        assert CatalogRepository(session, ORG).get("old").for_partners is False


@pytest.mark.parametrize("cell, expected", [("true", True), ("TRUE", True), ("false", False),
                                            ("", False)])
def test_csv_cells_true_false_or_empty_are_read(taxonomy, cell, expected):
    columns = list(CSV_COLUMNS)
    row = {c: "" for c in columns} | {"id": "m", "title": "T", "kind": "case_study",
                                       "audience": "client_facing", "author": "A",
                                       "for_partners": cell}
    [module] = validate_rows(read_csv(csv_file(columns, [[row[c] for c in columns]])), taxonomy)
    assert module.for_partners is expected


def test_a_csv_cell_that_is_not_true_or_false_is_a_row_error(taxonomy):
    columns = list(CSV_COLUMNS)
    row = {c: "" for c in columns} | {"id": "m", "title": "T", "kind": "case_study",
                                       "audience": "client_facing", "author": "A",
                                       "for_partners": "partners only"}
    with pytest.raises(ImportRejected) as caught:
        validate_rows(read_csv(csv_file(columns, [[row[c] for c in columns]])), taxonomy)
    [error] = caught.value.errors
    assert error.error.field == "for_partners"


def test_a_json_file_may_leave_the_key_out_but_not_misspell_it():
    row = {k: v for k, v in module_to_dict(parse_module_input()).items() if k != "for_partners"}
    assert read_json(json.dumps([row]).encode())[0].get("for_partners") is None
    with pytest.raises(ImportFileError, match="unknown key"):
        read_json(json.dumps([row | {"for_partner": True}]).encode())


def parse_module_input():
    return parse_module(raw_module(), default_taxonomy())
