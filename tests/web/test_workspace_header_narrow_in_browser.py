"""Browser tests of the workspace's shared header (app_shell.html) at 320 px: on every workspace
page a manager and an enablement lead open, nothing is wider than the viewport (the header wraps
instead); at 1440 px the manager's header is still the one-row Lightning bar."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.web.coaching_fixtures import be, page_at

pytestmark = pytest.mark.browser

PAGES = {
    "manager": ("analytics", "indicators", "coaching", "losses"),
    "enablement": ("analytics", "indicators", "coaching", "coverage", "coverage/loss-reasons",
                   "losses"),
}
#: Every visible element sticking out of the viewport, except inside a box that scrolls sideways
#: on purpose (the coverage heatmap's): "tag.class left..right".
OUTSIDE_THE_VIEWPORT = """() => {
  const width = document.documentElement.clientWidth, found = [];
  const scrolls = (el) => ["auto", "scroll", "hidden"].includes(getComputedStyle(el).overflowX);
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    let inScroller = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (scrolls(up)) { inScroller = true; break; }
    }
    if (!inScroller && (box.left < -0.5 || box.right > width + 0.5 || box.width > width + 0.5)) {
      found.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")} ` +
                 `${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, found};
}"""


def sticking_out(page: Page) -> dict:
    return page.evaluate(OUTSIDE_THE_VIEWPORT)


@pytest.mark.parametrize("identity", sorted(PAGES))
def test_at_320_px_no_workspace_page_is_wider_than_the_viewport(chromium, coaching_app, identity,
                                                                 screenshot):
    url, _ = coaching_app
    page = page_at(chromium, 320)
    be(page, url, identity)
    for path in PAGES[identity]:
        answer = page.goto(f"{url}/workspace/{path}")
        assert answer is not None and answer.status == 200, path
        measured = sticking_out(page)
        assert measured["found"] == [], f"{path}: {measured['found'][:10]}"
        assert measured["scrollWidth"] <= 320, path
        header = page.locator("header.bi-workspace__header")
        for part in ("signed-in-as", "sign-out", "view-as"):  # wrapped, not cut off
            box = header.get_by_test_id(part).bounding_box()
            assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 320, part
        screenshot(page, suffix=f"-{path.replace('/', '-')}")


def test_at_1440_px_the_managers_header_is_one_row(chromium, coaching_app, screenshot):
    url, _ = coaching_app
    page = page_at(chromium, 1440)
    be(page, url, "manager")
    for path in PAGES["manager"]:
        page.goto(f"{url}/workspace/{path}")
        bar = page.locator("header.bi-workspace__header .slds-context-bar").bounding_box()
        assert bar is not None and bar["height"] == 40 and bar["width"] == 1440, path
        sign_out = page.get_by_test_id("sign-out").bounding_box()
        nav = page.locator(".slds-context-bar__secondary li").first.bounding_box()
        assert sign_out and nav and sign_out["y"] < 40 and nav["y"] < 40  # one row
        assert sticking_out(page)["found"] == [], path
    screenshot(page, full_page=False, suffix="-losses")
