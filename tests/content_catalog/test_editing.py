"""Editing modules by hand: concurrency, status, history, audit; on SQLite and PostgreSQL."""
import threading
import time
from datetime import date

import pytest

from content_catalog.database import session_factory
from content_catalog.editing import (
    ALLOWED_TRANSITIONS,
    InvalidTransition,
    ModuleEditor,
    ModuleExists,
    StaleVersion,
    VersionNotFound,
)
from content_catalog.history import as_input
from content_catalog.repository import CatalogRepository, ModuleNotFound, OrgNotFound, ensure_org
from content_catalog.taxonomy import Dimension, ModuleStatus

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"
DRAFT, PUBLISHED, RETIRED = ModuleStatus.DRAFT, ModuleStatus.PUBLISHED, ModuleStatus.RETIRED


@pytest.fixture
def editor(session):
    ensure_org(session, ORG_A, "Acme")
    ensure_org(session, ORG_B, "Globex")
    session.commit()
    return ModuleEditor(session, ORG_A, "ann@acme.example")


@pytest.fixture
def catalog(session, editor):
    return CatalogRepository(session, ORG_A)


def reread(session, key, org_id=ORG_A):
    session.expunge_all()  # from the database, not from objects still in memory
    return CatalogRepository(session, org_id).get(key)


# -- create and update ---------------------------------------------------------------------------
def test_created_module_is_version_one_with_its_content_kept(editor, session, module_factory):
    module = module_factory("a", title="Überzeugen", status=DRAFT, tags={"industry": "Banking"})
    created = editor.create(module)
    session.commit()

    assert created.version == 1 and created.org_id == ORG_A
    assert as_input(reread(session, "a")) == module
    [first] = editor.history("a")
    assert (first.version, first.actor, first.status) == (1, "ann@acme.example", DRAFT)
    assert first.module == module


def test_creating_a_key_that_exists_is_refused_and_the_transaction_survives(
    editor, session, module_factory
):
    editor.create(module_factory("a", title="First"))
    with pytest.raises(ModuleExists) as refused:
        editor.create(module_factory("a", title="Second"))
    assert refused.value.key == "a"
    editor.create(module_factory("b"))
    session.commit()
    assert reread(session, "a").title == "First" and reread(session, "b").version == 1


def test_the_same_key_may_exist_in_another_org(editor, session, module_factory):
    editor.create(module_factory("a", title="Acme's"))
    ModuleEditor(session, ORG_B, "bob").create(module_factory("a", title="Globex's"))
    session.commit()
    assert reread(session, "a", ORG_B).title == "Globex's"


def test_update_saves_a_new_version(editor, session, module_factory):
    editor.create(module_factory("a", title="First"))
    updated = editor.update("a", module_factory("a", title="Second"), expected_version=1)
    session.commit()
    assert (updated.version, updated.title) == (2, "Second")
    assert (reread(session, "a").version, reread(session, "a").title) == (2, "Second")


def test_stale_edit_is_refused_with_the_current_version_attached_and_nothing_overwritten(
    editor, session, module_factory
):
    editor.create(module_factory("a", title="First"))
    editor.update("a", module_factory("a", title="Colleague's"), expected_version=1)
    session.commit()

    with pytest.raises(StaleVersion) as refused:
        editor.update("a", module_factory("a", title="Mine, on version 1"), expected_version=1)
    session.commit()

    assert (refused.value.current.version, refused.value.current.title) == (2, "Colleague's")
    assert reread(session, "a").title == "Colleague's"
    assert [v.version for v in editor.history("a")] == [2, 1]


def test_stale_copy_held_by_a_session_cannot_overwrite_a_newer_save(
    engine, editor, session, module_factory
):
    """A long-lived session still holds version 1 in memory; the check must read the database."""
    editor.create(module_factory("a", title="First"))
    session.commit()
    CatalogRepository(session, ORG_A).get("a")  # version 1 now sits in this session

    with session_factory(engine)() as colleague:
        ModuleEditor(colleague, ORG_A, "bob").update("a", module_factory("a", title="Bob's"), 1)
        colleague.commit()

    with pytest.raises(StaleVersion) as refused:
        editor.update("a", module_factory("a", title="Ann's"), expected_version=1)
    assert refused.value.current.title == "Bob's"
    session.rollback()
    assert reread(session, "a").title == "Bob's"


def test_identical_update_saves_no_new_version(editor, session, catalog, module_factory):
    module = module_factory("a", tags={"industry": ["Banking", "Insurance"]})
    editor.create(module)
    session.commit()
    revision = catalog.revision()

    assert editor.update("a", module, expected_version=1).version == 1
    session.commit()
    assert catalog.revision() == revision
    assert len(editor.history("a")) == 1 and len(editor.audit()) == 1


def test_update_cannot_change_the_key(editor, module_factory):
    editor.create(module_factory("a"))
    with pytest.raises(ValueError, match="ids cannot be changed"):
        editor.update("a", module_factory("b"), expected_version=1)


def test_updating_a_missing_module_is_not_found(editor, module_factory):
    with pytest.raises(ModuleNotFound):
        editor.update("nope", module_factory("nope"), expected_version=1)


def test_editor_must_name_who_edits(session):
    with pytest.raises(ValueError, match="actor"):
        ModuleEditor(session, ORG_A, "  ")


def test_editing_an_unknown_org_is_refused(session, module_factory):
    with pytest.raises(OrgNotFound):
        ModuleEditor(session, "00DZ0000000ZzzzMAC", "ann").create(module_factory("a"))


def test_every_write_moves_the_catalog_revision(editor, catalog, session, module_factory):
    revisions = [catalog.revision()]
    editor.create(module_factory("a", title="First"))
    revisions.append(catalog.revision())
    editor.update("a", module_factory("a", title="Second"), 1)
    revisions.append(catalog.revision())
    editor.set_status("a", RETIRED, 2)
    revisions.append(catalog.revision())
    editor.restore_version("a", 1, 3)
    revisions.append(catalog.revision())
    assert revisions == sorted(set(revisions)) and len(revisions) == 5


def test_rolled_back_edit_leaves_no_version_and_no_audit_entry(editor, session, module_factory):
    editor.create(module_factory("a", title="First"))
    session.commit()
    editor.update("a", module_factory("a", title="Second"), 1)
    session.rollback()
    assert [v.version for v in editor.history("a")] == [1]
    assert [e.action for e in editor.audit()] == ["created"]


# -- versions, restore, diff ---------------------------------------------------------------------
def test_every_save_keeps_the_previous_version(editor, session, module_factory):
    versions = [module_factory("a", title=f"Title {n}", body=f"Body {n}\n") for n in (1, 2, 3)]
    editor.create(versions[0])
    editor.update("a", versions[1], 1)
    editor.update("a", versions[2], 2)
    session.commit()

    history = editor.history("a")
    assert [v.version for v in history] == [3, 2, 1]
    assert [v.module for v in history] == versions[::-1]
    assert editor.version("a", 2).module == versions[1]
    assert history[0].saved_at >= history[-1].saved_at
    assert history[0].saved_at.utcoffset() is not None


def test_restore_brings_old_content_back_as_a_new_version_and_keeps_the_status(
    editor, session, module_factory
):
    old = module_factory("a", title="Old", body="old\n", tags={"industry": "Banking"}, status=DRAFT)
    editor.create(old)
    editor.update("a", module_factory("a", title="New", body="new body\n", status=DRAFT), 1)
    editor.set_status("a", PUBLISHED, 2)

    restored = editor.restore_version("a", 1, expected_version=3)
    session.commit()

    assert restored.version == 4 and restored.status == PUBLISHED
    stored = reread(session, "a")
    assert (stored.title, stored.body) == ("Old", "old\n")
    assert stored.tags == {Dimension.INDUSTRY: ("Banking",)}
    assert [v.version for v in editor.history("a")] == [4, 3, 2, 1]
    assert editor.version("a", 2).module.title == "New"  # the version restored over is still there


def test_restoring_content_that_is_already_current_saves_nothing(editor, session, module_factory):
    editor.create(module_factory("a", title="Same"))
    editor.set_status("a", RETIRED, 1)
    assert editor.restore_version("a", 1, expected_version=2).version == 2
    assert len(editor.history("a")) == 2


def test_restore_is_refused_when_based_on_an_older_version(editor, module_factory):
    editor.create(module_factory("a", title="First"))
    editor.update("a", module_factory("a", title="Second"), 1)
    with pytest.raises(StaleVersion):
        editor.restore_version("a", 1, expected_version=1)


def test_missing_version_is_not_found(editor, module_factory):
    editor.create(module_factory("a"))
    with pytest.raises(VersionNotFound):
        editor.version("a", 7)
    with pytest.raises(ModuleNotFound):  # one except clause covers both
        editor.restore_version("a", 7, expected_version=1)
    with pytest.raises(VersionNotFound):
        editor.diff("a", 1, 7)


@pytest.mark.parametrize("version", [0, 2**31, 10**40])
def test_a_version_number_no_column_can_hold_is_not_found_on_every_backend(editor, module_factory, version):
    editor.create(module_factory("a"))
    with pytest.raises(VersionNotFound):  # not an overflow error from the database
        editor.version("a", version)


def test_diff_shows_changed_fields_only(editor, module_factory):
    editor.create(module_factory(
        "a", title="Bank onboarding", body="Line one\nLine two\n", review_by=date(2027, 1, 1),
        tags={"industry": "Banking"},
    ))  # fmt: skip
    editor.update("a", module_factory(
        "a", title="Bank onboarding", body="Line one\nLine 2\n", review_by=date(2027, 6, 30),
        tags={"industry": ["Banking", "Insurance"], "challenge": "growth"},
    ), 1)  # fmt: skip

    changes = {change.field: change for change in editor.diff("a", 1, 2)}

    assert list(changes) == ["body", "review_by", "tags"]
    assert "-Line two" in changes["body"].diff and "+Line 2" in changes["body"].diff
    assert changes["body"].diff[:2] == ("--- version 1", "+++ version 2")
    assert (changes["review_by"].before, changes["review_by"].after, changes["review_by"].diff) == (
        "2027-01-01", "2027-06-30", ()
    )
    assert changes["tags"].before == "industry: Banking"
    assert changes["tags"].after == "industry: Banking, Insurance\nchallenge: growth"
    assert editor.diff("a", 2, 2) == []


def test_diff_backwards_shows_the_change_reversed(editor, module_factory):
    editor.create(module_factory("a", title="First", status=DRAFT))
    editor.set_status("a", PUBLISHED, 1)
    [status] = editor.diff("a", 2, 1)
    assert (status.field, status.before, status.after) == ("status", "published", "draft")
    assert status.diff == ()


# -- status --------------------------------------------------------------------------------------
@pytest.mark.parametrize("before", list(ModuleStatus))
@pytest.mark.parametrize("after", list(ModuleStatus))
def test_status_transitions(editor, session, module_factory, before, after):
    editor.create(module_factory("a", status=before))
    if before == after:
        with pytest.raises(InvalidTransition) as refused:
            editor.set_status("a", after, 1)
        assert (refused.value.from_status, refused.value.to_status) == (before, after)
        assert (before, after) not in ALLOWED_TRANSITIONS
    else:
        assert editor.set_status("a", after, 1).status == after
        session.commit()
        assert reread(session, "a").status == after


def test_status_change_based_on_an_older_version_is_refused(editor, module_factory):
    editor.create(module_factory("a", status=DRAFT))
    editor.set_status("a", PUBLISHED, 1)
    with pytest.raises(StaleVersion):
        editor.set_status("a", RETIRED, 1)


def test_retired_module_is_never_in_published(editor, catalog, session, module_factory):
    editor.create(module_factory("a"))
    editor.create(module_factory("b"))
    editor.set_status("a", RETIRED, 1)
    session.commit()
    assert [m.key for m in catalog.published()] == ["b"]


# -- audit ---------------------------------------------------------------------------------------
def test_audit_records_each_action_with_its_actor_newest_first(editor, session, module_factory):
    editor.create(module_factory("a", title="First", status=DRAFT))
    editor.update("a", module_factory("a", title="Second", status=DRAFT), 1)
    editor.set_status("a", PUBLISHED, 2)
    editor.set_status("a", DRAFT, 3)
    editor.set_status("a", RETIRED, 4)
    ModuleEditor(session, ORG_A, "bob").restore_version("a", 1, 5)
    imported = [module_factory("a", title="Imported")]
    CatalogRepository(session, ORG_A).upsert_many(imported, actor="csv by carol")
    session.commit()

    entries = editor.audit()
    assert [(e.action, e.actor, e.version) for e in entries] == [
        ("imported", "csv by carol", 7),
        ("restored_version", "bob", 6),
        ("retired", "ann@acme.example", 5),
        ("status_changed", "ann@acme.example", 4),
        ("published", "ann@acme.example", 3),
        ("updated", "ann@acme.example", 2),
        ("created", "ann@acme.example", 1),
    ]
    details = [e.detail for e in entries]
    assert details[1:] == [
        "content of version 1", "draft → retired", "published → draft", "draft → published",
        "changed title", "created as draft",
    ]
    assert details[0] == "changed title, status"
    assert all(e.module_key == "a" and e.at.utcoffset() is not None for e in entries)


def test_audit_limits_and_filters_by_module(editor, module_factory):
    for key in ("a", "b", "c"):
        editor.create(module_factory(key))
    assert [e.module_key for e in editor.audit(limit=2)] == ["c", "b"]
    assert [e.module_key for e in editor.audit(module_key="a")] == ["a"]
    with pytest.raises(ValueError):
        editor.audit(limit=0)


# -- imports -------------------------------------------------------------------------------------
def test_import_keeps_a_version_for_each_change_and_none_for_identical_rows(
    editor, catalog, session, module_factory
):
    catalog.upsert_many([module_factory("a", title="First"), module_factory("b")])
    catalog.upsert_many([module_factory("a", title="Second"), module_factory("b")])
    session.commit()

    assert [v.module.title for v in editor.history("a")] == ["Second", "First"]
    assert [v.version for v in editor.history("b")] == [1]
    assert [(e.action, e.actor, e.module_key, e.detail) for e in editor.audit()] == [
        ("imported", "import", "a", "changed title"),
        ("imported", "import", "b", "created as published"),
        ("imported", "import", "a", "created as published"),
    ]


def test_import_over_an_edit_continues_the_version_line(editor, catalog, session, module_factory):
    editor.create(module_factory("a", title="Edited"))
    catalog.upsert_many([module_factory("a", title="Imported")])
    edited = editor.update("a", module_factory("a", title="Edited again"), expected_version=2)
    session.commit()
    assert edited.version == 3
    actors = [v.actor for v in editor.history("a")]
    assert actors == ["ann@acme.example", "import", "ann@acme.example"]


# -- tenancy -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda e, m: e.update("a", m("a"), 1),
        lambda e, m: e.set_status("a", ModuleStatus.DRAFT, 1),
        lambda e, m: e.restore_version("a", 1, 1),
        lambda e, m: e.history("a"),
        lambda e, m: e.version("a", 1),
        lambda e, m: e.diff("a", 1, 1),
    ],
    ids=["update", "set_status", "restore_version", "history", "version", "diff"],
)
def test_another_orgs_module_is_not_found(editor, session, module_factory, call):
    editor.create(module_factory("a", title="Acme's secret"))
    session.commit()
    with pytest.raises(ModuleNotFound):
        call(ModuleEditor(session, ORG_B, "mallory"), module_factory)
    session.rollback()
    assert reread(session, "a").title == "Acme's secret"


def test_audit_shows_only_the_orgs_own_entries(editor, session, module_factory):
    editor.create(module_factory("a"))
    other = ModuleEditor(session, ORG_B, "bob")
    other.create(module_factory("b"))
    assert [e.module_key for e in other.audit()] == ["b"]
    assert other.audit(module_key="a") == []


def test_one_orgs_edits_do_not_move_another_orgs_revision(editor, session, module_factory):
    other = CatalogRepository(session, ORG_B)
    revision = other.revision()
    editor.create(module_factory("a"))
    assert other.revision() == revision


# -- concurrency (real concurrent transactions) --------------------------------------------------
def run_concurrently(engine, attempts):
    """Run each attempt in its own thread and session, all released at once; each commits after
    a pause, so a loser waits on the winner's lock instead of slipping in after it.

    On PostgreSQL these are two real concurrent transactions with row locks; on SQLite the second
    writer waits for the database's write lock (``busy_timeout``).
    """
    barrier = threading.Barrier(len(attempts))
    outcomes = [None] * len(attempts)

    def run(index, attempt):
        with session_factory(engine)() as session:
            barrier.wait()
            try:
                outcomes[index] = attempt(session)
                time.sleep(0.3)
                session.commit()
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
                session.rollback()
                outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_concurrent_saves_of_the_same_version_exactly_one_wins(
    engine, editor, session, module_factory
):
    editor.create(module_factory("a", title="Original"))
    session.commit()

    def save_as(who):
        return lambda s: ModuleEditor(s, ORG_A, who).update("a", module_factory("a", title=who), 1)

    outcomes = run_concurrently(engine, [save_as("ann"), save_as("bob")])

    stale = [o for o in outcomes if isinstance(o, StaleVersion)]
    saved = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(saved) == 1 and len(stale) == 1, outcomes
    assert stale[0].current.title == saved[0].title and stale[0].current.version == 2
    stored = reread(session, "a")
    assert (stored.version, stored.title) == (2, saved[0].title)
    assert [v.version for v in editor.history("a")] == [2, 1]


def test_concurrent_creates_of_the_same_key_exactly_one_wins(
    engine, editor, session, module_factory
):
    outcomes = run_concurrently(engine, [
        lambda s, who=who: ModuleEditor(s, ORG_A, who).create(module_factory("a", title=who))
        for who in ("ann", "bob")
    ])  # fmt: skip
    assert sorted(type(o).__name__ for o in outcomes) == ["ContentModule", "ModuleExists"], outcomes
    assert len(editor.history("a")) == 1


def test_concurrent_edit_and_import_both_land_as_successive_versions(
    engine, editor, session, module_factory
):
    editor.create(module_factory("a", title="Original"))
    session.commit()
    outcomes = run_concurrently(engine, [
        lambda s: ModuleEditor(s, ORG_A, "ann").update("a", module_factory("a", title="Ann's"), 1),
        lambda s: CatalogRepository(s, ORG_A).upsert_many([module_factory("a", title="Imported")]),
    ])  # fmt: skip
    # An import overwrites by design. Either it went second and overwrote Ann's saved version, or
    # it went first and Ann, who edited version 1, is told; no error and no lost version.
    edit, _ = outcomes
    titles = [v.module.title for v in editor.history("a")]
    if isinstance(edit, StaleVersion):
        assert titles == ["Imported", "Original"]
    else:
        assert titles == ["Imported", "Ann's", "Original"], outcomes


def test_create_losing_to_a_write_it_could_not_see_is_module_exists_and_keeps_the_transaction(
    editor, session, module_factory, monkeypatch
):
    """The unique constraint is the last word; its error must not end the caller's transaction."""
    editor.create(module_factory("a", title="First"))
    monkeypatch.setattr(CatalogRepository, "find", lambda self, keys: {})  # the check misses it
    with pytest.raises(ModuleExists):
        editor.create(module_factory("a", title="Second"))
    monkeypatch.undo()
    editor.create(module_factory("b"))
    session.commit()
    assert reread(session, "a").title == "First"
    assert [e.module_key for e in editor.audit()] == ["b", "a"]
