"""Bulk import and export as CSV and JSON: file checks, row errors, dry run, all-or-nothing writes.

Tests that touch the database run on SQLite and PostgreSQL (the ``engine`` fixture); the 10,000-row
import runs on a SQLite file of its own, to keep the suite's time reasonable.
"""
import csv
import io
import json
from datetime import date

import pytest

from content_catalog.database import make_engine, session_factory, upgrade
from content_catalog.history import CatalogHistory
from content_catalog.import_export import (
    CSV_COLUMNS,
    ImportFileError,
    ImportPlan,
    ImportRejected,
    ImportStage,
    ModuleChange,
    describe_row_error,
    export_modules,
    plan_import,
    read_csv,
    read_json,
    run_import,
)
from content_catalog import import_export
from content_catalog.repository import CatalogRepository, UpsertResult, ensure_org
from content_catalog.taxonomy import Audience, Dimension, ModuleKind, ModuleStatus, default_taxonomy
from plugin.crm.demo_org import demo_module_payloads

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"
READERS = {"csv": read_csv, "json": read_json}
INDUSTRIES_ALLOWED = "(allowed: Agriculture, Apparel, Banking, Biotechnology, Chemicals,"


# -- helpers ------------------------------------------------------------------------------------
def cells(key="m", **overrides) -> dict[str, str]:
    """One CSV row as column → text; a valid published case study unless told otherwise."""
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(id=key, title=f"Module {key}", kind="case_study", audience="client_facing",
               author="Enablement", status="published")  # fmt: skip
    row.update({name.replace("__", "."): value for name, value in overrides.items()})
    return row


def csv_bytes(rows, columns=CSV_COLUMNS) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([row.get(name, "") for name in columns] for row in rows)
    return buffer.getvalue().encode("utf-8")


def json_row(key="m", **overrides) -> dict:
    row = {"id": key, "title": f"Module {key}", "summary": "", "body": "", "link": None,
           "kind": "case_study", "audience": "client_facing", "author": "Enablement",
           "status": "published", "review_by": None, "tags": {}}  # fmt: skip
    row.update(overrides)
    return row


def rejected_lines(rows, taxonomy) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_export.validate_rows(rows, taxonomy)
    return [describe_row_error(error, rows) for error in caught.value.errors]


@pytest.fixture
def sessions(engine):
    factory = session_factory(engine)
    with factory.begin() as session:
        ensure_org(session, ORG_A, "Acme")
        ensure_org(session, ORG_B, "Globex")
    return factory


def stored(sessions, org_id=ORG_A):
    with sessions() as session:
        return CatalogRepository(session, org_id).list()


def imported(sessions, data: bytes, fmt: str, org_id=ORG_A, actor="test") -> UpsertResult:
    with sessions.begin() as session:
        return run_import(session, org_id, READERS[fmt](data), default_taxonomy(), actor)


def hostile_modules(module_factory):
    """Text that breaks naive CSV writers and that spreadsheets would run as formulas."""
    return [
        module_factory(
            "formula-equals", title='=HYPERLINK("http://evil.example","click")', author="@admin",
            summary="+1 555 0100, ask for \"Sam\"", body="-2+3\n=cmd|' /C calc'!A0\n",
            tags={"industry": ["Food & Beverage"],
                  "deal_stage": ["Proposal/Price Quote", "Negotiation/Review"]},
        ),
        module_factory(
            "apostrophes", title="'Tis the season", summary="''double", author="O'Brien",
            body="\tindented first line\r\nwindows line\rold mac line\n\n| a | b |\n|---|---|\n",
        ),
        module_factory(
            "unicode", title="Überzeugen — 成功事例 “quoted” 🚀", summary="＝full-width formula",
            body="مرحبا\u200f, \"quotes\", commas,, and a trailing space ",
            link="https://example.com/a?b=1,2",
            review_by=date(2027, 2, 28), kind=ModuleKind.EMAIL_TEMPLATE, audience=Audience.INTERNAL,
            status=ModuleStatus.DRAFT,
            tags={"buyer_role": ["Technical Buyer", "Evaluator"], "deal_size": "large"},
        ),
        module_factory("plain", body=""),
    ]  # fmt: skip


# -- round trips --------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_demo_catalog_export_import_export_is_byte_identical(sessions, taxonomy, fmt):
    with sessions.begin() as session:
        run_import(session, ORG_A, demo_module_payloads(), taxonomy, "test")
    first = export_modules(stored(sessions, ORG_A), fmt)

    assert imported(sessions, first, fmt, org_id=ORG_B) == UpsertResult(created=70)
    assert export_modules(stored(sessions, ORG_B), fmt) == first
    # and importing an export back where it came from changes nothing
    assert imported(sessions, first, fmt, org_id=ORG_A) == UpsertResult(unchanged=70)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_hostile_content_export_import_export_is_byte_identical(sessions, module_factory, fmt):
    modules = hostile_modules(module_factory)
    with sessions.begin() as session:
        CatalogRepository(session, ORG_A).upsert_many(modules, actor="test")
    first = export_modules(stored(sessions, ORG_A), fmt)

    imported(sessions, first, fmt, org_id=ORG_B)

    assert export_modules(stored(sessions, ORG_B), fmt) == first
    assert {m.key: m.body for m in stored(sessions, ORG_B)} == {m.key: m.body for m in modules}


def test_formula_looking_cells_are_protected_with_an_apostrophe_and_restored_on_import(
    module_factory, taxonomy
):
    modules = hostile_modules(module_factory)
    data = export_modules(modules, "csv")

    records = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    formula_starts = ("=", "+", "-", "@", "\t", "\r", "\n", "＝")
    cells_read = [cell for record in records for cell in record.values()]
    assert not [cell for cell in cells_read if cell.startswith(formula_starts)]
    assert records[0]["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert records[0]["author"] == "'@admin"
    assert records[1]["title"] == "''Tis the season"  # a real leading apostrophe is doubled
    assert import_export.validate_rows(read_csv(data), taxonomy) == modules


def test_csv_export_is_rfc4180_with_a_bom_and_pipe_separated_tag_values(module_factory):
    module = module_factory(
        "a", body="two\nlines", tags={"industry": ["Banking", "Food & Beverage"]}
    )

    data = export_modules([module], "csv")

    assert data.startswith(
        b"\xef\xbb\xbfid,title,summary,body,link,kind,audience,author,status,review_by,"
        b"tags.journey_phase,tags.buyer_role,tags.industry,tags.deal_stage,tags.challenge,"
        b"tags.deal_size,for_partners\r\n"
    )
    assert data.endswith(
        b'a,Module a,,"two\nlines",,case_study,client_facing,Enablement team,published,,,,'
        b"Banking|Food & Beverage,,,,false\r\n"
    )


def test_csv_export_refuses_a_tag_value_containing_the_separator(module_factory, taxonomy):
    module = module_factory("a", tags={"industry": ["Banking"]})
    odd = type(module)(**{**module.__dict__, "tags": {Dimension.INDUSTRY: ("Oil | Gas",)}})

    with pytest.raises(ValueError, match=r"module a: tag industry 'Oil \| Gas' contains '\|'"):
        export_modules([odd], "csv")
    assert json.loads(export_modules([odd], "json"))[0]["tags"]["industry"] == ["Oil | Gas"]


def test_json_export_is_the_module_shape_without_version_or_timestamps(sessions, module_factory):
    with sessions.begin() as session:
        module = module_factory("a", tags={"industry": "Banking"})
        CatalogRepository(session, ORG_A).upsert_many([module], actor="test")

    [row] = json.loads(export_modules(stored(sessions), "json"))

    assert list(row) == [
        "id", "title", "summary", "body", "link", "kind", "audience", "author", "status",
        "review_by", "tags", "for_partners",
    ]  # fmt: skip
    assert row["tags"]["industry"] == ["Banking"] and row["tags"]["deal_size"] == []


# -- file-level problems ------------------------------------------------------------------------
def test_latin1_file_is_refused_naming_the_byte_offset_line_row_and_column():
    data = csv_bytes([cells("a"), cells("b", title="Café crème")]).decode().encode("latin-1")

    with pytest.raises(ImportFileError) as caught:
        read_csv(data)

    offset = data.index("é".encode("latin-1"))
    assert (caught.value.row, caught.value.line, caught.value.column) == (2, 3, "title")
    assert f"byte 0xE9 at offset {offset}" in str(caught.value)
    assert str(caught.value).startswith("row 2 (line 3), column title: is not UTF-8")


def test_latin1_json_is_refused_naming_the_byte_offset_and_line():
    data = b'[\n  {"id": "caf\xe9"}\n]'

    with pytest.raises(ImportFileError, match=r"line 2: is not UTF-8: byte 0xE9 at offset 15"):
        read_json(data)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_utf8_with_a_bom_is_read(fmt, module_factory, taxonomy):
    module = module_factory("a", title="Überzeugen")
    data = export_modules([module], fmt)
    with_bom = data if data.startswith(b"\xef\xbb\xbf") else b"\xef\xbb\xbf" + data

    assert import_export.validate_rows(READERS[fmt](with_bom), taxonomy) == [module]


def test_missing_unknown_and_repeated_columns_are_all_listed():
    columns = [c for c in CSV_COLUMNS if c not in ("summary", "tags.industry")]
    columns += ["sumary", "title"]

    with pytest.raises(ImportFileError) as caught:
        read_csv(csv_bytes([cells()], columns))

    message = str(caught.value)
    assert message.startswith("line 1: header:")
    assert "missing column(s): summary, tags.industry" in message
    assert "unknown column(s): sumary" in message
    assert "repeated column(s): title" in message


def test_a_semicolon_separated_file_gets_a_hint():
    with pytest.raises(ImportFileError, match="semicolons or tabs; it must use commas"):
        read_csv(";".join(CSV_COLUMNS).encode() + b"\r\n")


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\n"])
def test_an_empty_file_is_refused(fmt, data):
    with pytest.raises(ImportFileError, match="is empty"):
        READERS[fmt](data)


def test_a_header_without_rows_is_an_empty_catalog():
    assert read_csv(csv_bytes([])) == []


def test_a_row_with_the_wrong_number_of_fields_is_named_by_row_and_line():
    data = csv_bytes([cells("a", body="two\nlines"), cells("b")]) + b"c,title only\r\n"

    with pytest.raises(ImportFileError) as caught:
        read_csv(data)

    assert (caught.value.row, caught.value.line) == (3, 5)
    assert str(caught.value).startswith("row 3 (line 5): has 2 fields but the header has 17")


def test_an_unclosed_quote_is_reported_at_the_line_where_its_row_starts():
    data = csv_bytes([cells("a")]) + b'b,"never closed,\r\nmore\r\n'

    with pytest.raises(ImportFileError, match=r"^line 3: is not well-formed CSV"):
        read_csv(data)


def test_blank_lines_are_skipped_and_line_numbers_still_point_into_the_file():
    header, row_a = csv_bytes([cells("a", body="x\ny")]).split(b"\r\n", 1)
    row_b = csv_bytes([cells("b")]).split(b"\r\n", 1)[1]
    data = header + b"\r\n\r\n" + row_a + b",,,\r\n" + row_b

    rows = read_csv(data)

    assert [row["id"] for row in rows] == ["a", "b"]
    assert rows.lines == (3, 6)


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed():
    data = csv_bytes([cells(f"m{i}", body="x" * 500) for i in range(10)])

    with pytest.raises(ImportFileError, match=f"is {len(data):,} bytes; the limit is 1,000 bytes"):
        read_csv(data, max_bytes=1000)
    assert len(read_csv(data, max_bytes=len(data))) == 10


@pytest.mark.parametrize("data, message", [
    (b'{"id": "a"}', "must be a JSON list of module objects"),
    (b'[{"id": "a",}]', r"^line 1: is not valid JSON: Expecting property name"),
    (b'[1]', r"^row 1: must be a module object, not int"),
    (b'[{"id": "a", "id": "b"}]', "an object has the key 'id' twice"),
])  # fmt: skip
def test_json_that_is_not_a_list_of_module_objects_is_refused(data, message):
    with pytest.raises(ImportFileError, match=message):
        read_json(data)


@pytest.mark.parametrize("data, message, row, column", [
    (b'[{"title": "lone \\ud800 surrogate"}]', r"^row 1, column title: contains a lone surrogate \(\\ud800\)", 1, "title"),
    (b'[{}, {"tags": {"industry": ["\\udfff"]}}]', r"^row 2, column tags.industry\[0\]: contains a lone surrogate", 2, "tags.industry[0]"),
    (b'[{"review_by": NaN}]', "^has NaN, which is not a JSON number", None, None),
    (b"[" * 1000 + b"]" * 1000, "^is nested more than 32 levels deep", None, None),
])  # fmt: skip
def test_json_that_is_not_strict_json_is_refused_naming_where(data, message, row, column):
    with pytest.raises(ImportFileError, match=message) as caught:
        read_json(data)
    assert (caught.value.row, caught.value.column) == (row, column)


def test_json_rows_must_have_every_key_and_no_unknown_ones():
    row = json_row("b", sumary="typo")
    del row["body"]

    with pytest.raises(ImportFileError) as caught:
        read_json(json.dumps([json_row("a"), row]).encode())

    assert caught.value.row == 2
    assert "missing key(s): body; unknown key(s): 'sumary'" in str(caught.value)


def test_json_version_and_updated_at_from_an_api_response_are_ignored(taxonomy):
    row = json_row("a", version=3, updated_at="2026-01-01T00:00:00+00:00")

    rows = read_json(json.dumps([row]).encode())

    assert [m.key for m in import_export.validate_rows(rows, taxonomy)] == ["a"]


# -- row-level problems -------------------------------------------------------------------------
def test_an_unknown_tag_is_reported_with_row_line_column_and_the_allowed_values(taxonomy):
    bad = cells("b", body="x\ny", tags__industry="Banking|Aerospace")
    rows = read_csv(csv_bytes([cells("a"), bad]))

    [line] = rejected_lines(rows, taxonomy)

    assert line.startswith(
        "row 2 (line 3), column tags.industry: 'Aerospace' is not an allowed value "
        + INDUSTRIES_ALLOWED
    )
    assert line.endswith("Utilities, Other)")


def test_every_problem_of_every_row_is_reported_at_once(taxonomy):
    rows = read_csv(csv_bytes([
        cells("a", kind="webinar"), cells("b"), cells("Bad Id", title="", review_by="31/12/2026"),
    ]))  # fmt: skip

    lines = rejected_lines(rows, taxonomy)

    assert lines[0].startswith(
        "row 1 (line 2), column kind: 'webinar' is not an allowed value (allowed: case_study,"
    )
    assert (
        "row 3 (line 4), column id: 'Bad Id' must be 1-64 lowercase letters, digits or hyphens"
        in lines
    )
    assert "row 3 (line 4), column title is required" in lines
    assert "row 3 (line 4), column review_by: '31/12/2026' must be a date as YYYY-MM-DD" in lines


def test_duplicate_ids_are_reported_naming_both_rows_and_their_lines(taxonomy):
    rows = read_csv(csv_bytes([cells("a", body="x\ny"), cells("b"), cells("a")]))

    assert rejected_lines(rows, taxonomy) == [
        "row 3 (line 5), column id: 'a' duplicates row 1 (line 2)"
    ]


def test_json_row_errors_name_the_row_and_field(taxonomy):
    rows = read_json(json.dumps([json_row("a", tags={"industry": ["Aerospace"]})]).encode())

    [line] = rejected_lines(rows, taxonomy)

    assert line.startswith(
        f"row 1, field tags.industry: 'Aerospace' is not an allowed value {INDUSTRIES_ALLOWED}"
    )


def test_tag_labels_and_other_case_are_accepted_and_stored_in_the_taxonomy_spelling(taxonomy):
    rows = read_csv(csv_bytes([cells(
        "a", tags__industry=" food & beverage | BANKING ", tags__deal_size="Mid-size deal|",
        tags__journey_phase="Implementation & adoption",
    )]))  # fmt: skip

    [module] = import_export.validate_rows(rows, taxonomy)

    assert module.tag_values(Dimension.INDUSTRY) == ("Food & Beverage", "Banking")
    assert module.tag_values(Dimension.DEAL_SIZE) == ("medium",)
    assert module.tag_values(Dimension.JOURNEY_PHASE) == ("implementation_adoption",)
    assert module.tag_values(Dimension.BUYER_ROLE) == ()  # empty cell: any buyer role


# -- writing: all or nothing --------------------------------------------------------------------
def test_one_bad_row_among_good_ones_imports_nothing(sessions, taxonomy):
    good = [cells(f"good-{i}") for i in range(5)]
    data = csv_bytes(good[:3] + [cells("bad", tags__industry="Aerospace")] + good[3:])
    revision_before = _revision(sessions)

    with pytest.raises(ImportRejected) as caught:
        imported(sessions, data, "csv")

    assert [(e.row, e.error.field) for e in caught.value.errors] == [(4, "tags.industry")]
    assert stored(sessions) == [] and _revision(sessions) == revision_before


def test_a_failure_while_writing_leaves_the_catalog_as_it_was(sessions, taxonomy, monkeypatch):
    imported(sessions, csv_bytes([cells("a", title="Before")]), "csv")
    real_upsert = CatalogRepository.upsert_many
    calls = []

    def upsert_then_fail(self, modules, actor):
        calls.append(len(modules))
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_upsert(self, modules, actor=actor)

    monkeypatch.setattr(import_export, "WRITE_BATCH", 2)
    monkeypatch.setattr(CatalogRepository, "upsert_many", upsert_then_fail)
    with pytest.raises(RuntimeError):
        imported(sessions, csv_bytes([cells("a", title="After"), cells("b"), cells("c")]), "csv")

    assert calls == [2, 1]
    assert [(m.key, m.title, m.version) for m in stored(sessions)] == [("a", "Before", 1)]


def test_import_records_the_actor_in_each_module_history(sessions):
    imported(sessions, csv_bytes([cells("a"), cells("b")]), "csv", actor="ann@acme.example")

    with sessions() as session:
        audit = CatalogHistory(session, ORG_A).audit()
    assert {(entry.module_key, entry.actor, entry.action) for entry in audit} == {
        ("a", "ann@acme.example", "imported"), ("b", "ann@acme.example", "imported"),
    }  # fmt: skip


def test_reimport_with_changed_tags_stores_exactly_the_new_tags(sessions):
    before = cells("a", tags__buyer_role="Evaluator|Influencer|Other", tags__industry="Banking")
    imported(sessions, csv_bytes([before]), "csv")

    after = cells("a", tags__buyer_role="Other|Technical Buyer|Evaluator")
    result = imported(sessions, csv_bytes([after]), "csv")

    [module] = stored(sessions)
    assert result == UpsertResult(updated=1) and module.version == 2
    assert module.tag_values(Dimension.BUYER_ROLE) == ("Other", "Technical Buyer", "Evaluator")
    assert module.tag_values(Dimension.INDUSTRY) == ()


# -- dry run ------------------------------------------------------------------------------------
def test_dry_run_reports_create_update_and_unchanged_and_writes_nothing(sessions, taxonomy):
    existing = [cells("same"), cells("changed", tags__industry="Banking")]
    imported(sessions, csv_bytes(existing), "csv")
    revision_before = _revision(sessions)
    rows = read_csv(csv_bytes([
        cells("added"), cells("same"), cells("changed", title="Renamed", tags__industry="Retail"),
    ]))  # fmt: skip

    with sessions() as session:
        plan = plan_import(session, ORG_A, rows, taxonomy)

    assert plan == ImportPlan(
        create=("added",),
        update=(ModuleChange("changed", ("title", "tags.industry")),),
        unchanged=("same",),
    )
    assert [m.key for m in stored(sessions)] == ["changed", "same"]
    assert _revision(sessions) == revision_before
    with sessions.begin() as session:
        assert run_import(session, ORG_A, rows, taxonomy, "test") == plan.as_result()


def test_dry_run_of_invalid_rows_raises_with_every_row_error(sessions, taxonomy):
    rows = read_csv(csv_bytes([cells("a", audience="everyone"), cells("a")]))

    with sessions() as session, pytest.raises(ImportRejected) as caught:
        plan_import(session, ORG_A, rows, taxonomy)

    assert [(e.row, e.error.field) for e in caught.value.errors] == [(1, "audience")]


# -- 10,000 rows --------------------------------------------------------------------------------
@pytest.fixture
def sqlite_sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'import.sqlite3'}")
    upgrade(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        ensure_org(session, ORG_A, "Acme")
    yield factory
    engine.dispose()


def test_ten_thousand_rows_import_in_one_transaction(sqlite_sessions, module_factory, taxonomy):
    industries = taxonomy.spec("industry").allowed
    modules = [
        module_factory(
            f"module-{i:05d}", summary=f"Summary {i}, with a comma.",
            body=f"Paragraph {i}.\n\n" + "Words " * 60,
            tags={"industry": industries[i % len(industries)],
                  "buyer_role": ["Evaluator", "Economic Buyer"][: i % 3]},
        )
        for i in range(10_000)
    ]  # fmt: skip
    rows = read_csv(export_modules(modules, "csv"))
    progress: dict[ImportStage, int] = {}

    def count(stage: ImportStage, done: int) -> None:
        progress[stage] = progress.get(stage, 0) + done

    with sqlite_sessions.begin() as session:
        result = run_import(session, ORG_A, rows, taxonomy, "bulk", on_progress=count)

    assert result == UpsertResult(created=10_000)
    assert progress == {ImportStage.VALIDATE: 10_000, ImportStage.WRITE: 10_000}
    with sqlite_sessions() as session:
        catalog = CatalogRepository(session, ORG_A)
        assert catalog.count() == 10_000
        last = catalog.get("module-09999")
        assert last.tag_values(Dimension.INDUSTRY) == (industries[9999 % len(industries)],)
        assert export_modules(catalog.list(), "csv") == export_modules(modules, "csv")


def _revision(sessions) -> int:
    with sessions() as session:
        return CatalogRepository(session, ORG_A).revision()
