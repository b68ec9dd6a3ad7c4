"""The last fit a process keeps per org for its next refit: the most recently refitted orgs, up
to a number of modules over all of them."""
import pytest

from plugin.ranking import refit_work
from plugin.ranking.refit_work import forget_fits, keep_fit, last_fit
from recommender import CandidateModule, TagTextRanker


def fitted(n: int) -> TagTextRanker:
    return TagTextRanker().fit(
        [CandidateModule(f"m{i:03d}", f"pricing risk {i}", "client_facing", {}) for i in range(n)]
    )


@pytest.fixture(autouse=True)
def nothing_kept(monkeypatch):
    monkeypatch.setattr(refit_work, "KEPT_MODULES", 10)
    forget_fits()
    yield
    forget_fits()


def test_the_last_fit_of_each_org_is_kept_and_replaced_by_the_next():
    first, second = fitted(3), fitted(4)
    assert last_fit("org-a") is None
    keep_fit("org-a", first)
    keep_fit("org-b", fitted(2))
    assert last_fit("org-a") is first
    keep_fit("org-a", second)
    assert last_fit("org-a") is second


def test_the_least_recently_refitted_org_is_dropped_beyond_the_bound():
    keep_fit("org-a", fitted(4))
    keep_fit("org-b", fitted(4))
    keep_fit("org-a", fitted(4))  # refitted again: now the most recent
    keep_fit("org-c", fitted(4))
    assert last_fit("org-b") is None
    assert last_fit("org-a") is not None and last_fit("org-c") is not None


def test_a_catalog_bigger_than_the_bound_is_not_kept():
    keep_fit("org-a", fitted(4))
    keep_fit("org-b", fitted(11))
    assert last_fit("org-a") is None and last_fit("org-b") is None
