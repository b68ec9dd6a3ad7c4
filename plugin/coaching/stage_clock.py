"""The coaching view's days in stage and stuck flag, from the stuck-deals figures
(``plugin.deals.stuck_deals``): the same stage histories and norms the panel's notice uses."""
from __future__ import annotations

from datetime import datetime, timedelta

from plugin.coaching.team_deals import StageClock, StageTime
from plugin.crm.records import OpportunityRecord
from plugin.deals.stuck_deals import StuckDeals


def stage_clock(stuck_deals: StuckDeals, org_id: str, now: datetime) -> StageClock:
    """Reads the org's figures once; each deal then costs a lookup."""
    figures = stuck_deals.stages(org_id)

    def clock(record: OpportunityRecord) -> StageTime | None:
        present = figures.present.get(record.opportunity_id)
        if (present is None or not record.stage
                or present.stage.casefold() != record.stage.strip().casefold()):
            return None  # no history of this deal, or it has not caught up with its stage
        days = int((now - present.entered_at) / timedelta(days=1))
        stuck = stuck_deals.stuck(org_id, record.opportunity_id, record.stage, record.amount)
        return StageTime(days, stuck is not None,
                         stuck.notice.usual_days if stuck is not None else None)

    return clock
