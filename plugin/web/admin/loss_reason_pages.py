"""Admin page for the org's loss reasons: the list reps choose from in a lost deal's review."""
from __future__ import annotations

from collections import Counter

from flask import flash, g, redirect, render_template, request, url_for

from content_catalog.loss_reviews import LossReasons, LossReviews
from plugin.deals.lost_deals import MAX_REASONS, REASON_LABEL_CHARS, parse_reason_labels
from plugin.errors import InvalidInput
from plugin.web.admin import NAVIGATION, NavItem, blueprint
from plugin.web.app_services import services
from plugin.web.identity import Role, requires

NAVIGATION.append(NavItem("admin.loss_reasons_page", "Loss reasons", "loss_reasons"))


@blueprint.get("/loss-reasons")
@requires(Role.ADMIN)
def loss_reasons_page():
    return _render(None, [])


@blueprint.post("/loss-reasons")
@requires(Role.ADMIN)
def loss_reasons_save():
    text = request.form.get("reasons", "")
    try:
        labels = parse_reason_labels(text)
    except InvalidInput as exc:
        return _render(text, exc.errors), 400
    with services().sessions.begin() as session:
        LossReasons(session, g.user.org_id).replace(labels)
    flash(f"Saved: reps now choose from {len(labels)} reasons. Reviews already written keep "
          "theirs, and a removed reason still names them.", "success")
    return redirect(url_for("admin.loss_reasons_page"))


def _render(text: str | None, errors: list):
    with services().sessions() as session:
        reasons = LossReasons(session, g.user.org_id)
        listed, known = reasons.listed(), reasons.known()
        used = Counter(r.reason_key for r in LossReviews(session, g.user.org_id).all())
    retired = [r for r in known.values() if r.retired]
    return render_template(
        "admin/loss_reasons.html", listed=listed, retired=retired, used=used, errors=errors,
        text=text if text is not None else "\n".join(r.label for r in listed),
        max_reasons=MAX_REASONS, label_chars=REASON_LABEL_CHARS,
    )
