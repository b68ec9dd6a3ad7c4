"""The loss reviews in the workspace: the coverage map's loss-reason view (gaps by stage and
reason) and the loss analytics (losses by reason and stage, content in lost deals vs won)."""
from __future__ import annotations

from flask import g, render_template

from plugin.analytics.loss_figures import WON_LOST_CAUTION, build_loss_report
from plugin.web.app_services import services
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.workspace import blueprint
from plugin.web.workspace.links import module_url, modules_new_url


def _report():
    return build_loss_report(services().sessions, g.user.org_id, org_taxonomy(),
                             today=services().today())


@blueprint.get("/coverage/loss-reasons")
def coverage_loss_reasons():
    return render_template(
        "workspace/coverage_losses.html", report=_report(),
        new_for_stage=lambda stage: modules_new_url({"tag.deal_stage": stage}),
    )


@blueprint.get("/losses")
def analytics_losses():
    return render_template("workspace/analytics_losses.html", report=_report(),
                           module_url=module_url, caution=WON_LOST_CAUTION)
