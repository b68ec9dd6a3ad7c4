"""Re-applying an edit that lost a race: yours over theirs, field by field and tag by tag."""
from dataclasses import replace

from content_catalog.reapplying import reapply
from content_catalog.taxonomy import Dimension, ModuleStatus


def test_your_changes_are_laid_over_theirs_and_their_other_changes_stay(module_factory):
    base = module_factory("m", title="Old title", body="Old body", summary="Old summary")
    theirs = replace(base, title="Their title", summary="Their summary")
    yours = replace(base, body="Your body")

    merged = reapply(base, yours, theirs)

    assert (merged.module.title, merged.module.summary, merged.module.body) == ("Their title", "Their summary", "Your body")
    assert merged.yours_changed == ("body",)
    assert merged.theirs_changed == ("title", "summary")
    assert merged.both_changed == ()


def test_a_field_both_changed_keeps_yours_and_is_reported(module_factory):
    base = module_factory("m", body="Old")
    merged = reapply(base, replace(base, body="Yours"), replace(base, body="Theirs"))
    assert merged.module.body == "Yours" and merged.both_changed == ("body",)


def test_the_same_change_made_twice_is_not_a_conflict(module_factory):
    base = module_factory("m", title="Old")
    merged = reapply(base, replace(base, title="New"), replace(base, title="New"))
    assert merged.module.title == "New" and merged.both_changed == ()


def test_tags_merge_per_dimension(module_factory):
    base = module_factory("m", tags={"industry": "Banking", "journey_phase": "buying"})
    yours = module_factory("m", tags={"industry": ["Banking", "Healthcare"], "journey_phase": "buying"})
    theirs = module_factory("m", tags={"industry": "Banking"})  # they removed the phase

    merged = reapply(base, yours, theirs)

    assert merged.module.tag_values(Dimension.INDUSTRY) == ("Banking", "Healthcare")
    assert merged.module.tag_values(Dimension.JOURNEY_PHASE) == ()
    assert merged.yours_changed == ("tags.industry",) and merged.theirs_changed == ("tags.journey_phase",)


def test_the_status_is_always_theirs(module_factory):
    base = module_factory("m", status=ModuleStatus.DRAFT)
    theirs = replace(base, status=ModuleStatus.PUBLISHED)
    yours = replace(base, title="Edited", status=ModuleStatus.DRAFT)
    assert reapply(base, yours, theirs).module.status is ModuleStatus.PUBLISHED


def test_without_a_base_everything_you_typed_that_differs_is_kept(module_factory):
    theirs = module_factory("m", title="Theirs", body="Same")
    yours = module_factory("m", title="Yours", body="Same")
    merged = reapply(None, yours, theirs)
    assert merged.module.title == "Yours" and merged.yours_changed == ("title",)
