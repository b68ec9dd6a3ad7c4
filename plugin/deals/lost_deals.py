"""A lost deal's review: who is offered it, its choices and prefill (from the stage history or the
panel's log), strict parsing of the answers, and saving them (design: docs/design/deals.md)."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.loss_reviews import (
    LossReason, LossReasons, LossReview, LossReviews, ShownModule, deal_trail,
)
from content_catalog.modules import FieldError
from content_catalog.opportunity_history import OpportunityHistory
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import Dimension, Taxonomy
from plugin.crm.records import OpportunityRecord
from plugin.errors import Conflict, Forbidden, InvalidInput

MAX_MISSING_CHARS = 1000
#: The most modules a review lists as used (the choices are the deal's shown modules, fewer).
MAX_USED_MODULES = 50
FIELDS = ("stalled_stage", "reason", "used_modules", "missing")
#: Characters a rep's free text may hold besides printable ones (the joiner: emoji sequences).
_ALLOWED_CONTROLS = {"\n", "\t", "\u200d"}


@dataclass(frozen=True)
class ModuleChoice:
    """A module the deal's panel showed, as the review offers it."""

    key: str
    title: str
    #: The rep opened or used it on this deal: ticked until the rep unticks it.
    engaged: bool


@dataclass(frozen=True)
class LossReviewOffer:
    """What the panel offers the viewer of a lost deal: the choices, and the stored review
    (done) or the prefill (awaiting)."""

    opportunity_id: str
    stages: tuple[str, ...]
    reasons: tuple[LossReason, ...]
    modules: tuple[ModuleChoice, ...]
    #: The last open stage the deal was in, when known: from its stage history, else the last
    #: one the panel saw it in.
    default_stage: str | None
    review: LossReview | None
    #: The viewer may write or change the review (the deal's owner, or anyone when the owner is
    #: unknown and nobody else wrote it).
    may_edit: bool
    #: Label of a stored reason no longer on the org's list.
    reason_labels: Mapping[str, str]
    #: Where ``default_stage`` came from: "history" (Salesforce's stage history) or "panel".
    default_from: str | None = None

    @property
    def done(self) -> bool:
        return self.review is not None

    @property
    def stage(self) -> str | None:
        return self.review.stalled_stage if self.review else self.default_stage

    @property
    def reason(self) -> str | None:
        return self.review.reason_key if self.review else None

    @property
    def used(self) -> frozenset[str]:
        if self.review is not None:
            return frozenset(self.review.used_modules)
        return frozenset(m.key for m in self.modules if m.engaged)

    @property
    def missing(self) -> str:
        return self.review.missing if self.review else ""

    def reason_label(self, key: str | None) -> str:
        return self.reason_labels.get(key or "", key or "")


def is_lost(record: OpportunityRecord | None) -> bool:
    return record is not None and record.is_closed and not record.is_won


def record_owner(record: OpportunityRecord) -> str | None:
    """The deal owner's User Id, when the CRM said who owns it."""
    return record.owner_id or None


def is_offered_to(record: OpportunityRecord, viewer: str | None) -> bool:
    """A lost deal's review is offered to its owner, or to the viewer when the owner is unknown."""
    owner = record_owner(record)
    return is_lost(record) and (owner is None or (viewer is not None and owner == viewer))


def review_stages(taxonomy: Taxonomy, record: OpportunityRecord) -> tuple[str, ...]:
    """The org's open stages in pipeline order (its stage list; the taxonomy's stages when the
    order is unknown), without the stage the deal closed in or any named "Closed …"."""
    stages = taxonomy.stage_order or tuple(v.value for v in taxonomy.spec(Dimension.DEAL_STAGE).values)
    closing = (record.stage or "").casefold()
    return tuple(dict.fromkeys(
        s for s in stages if s.casefold() != closing and not s.casefold().startswith("closed")))


class LostDealReviews:
    """Offers, reads and saves the reviews of one org's lost deals."""

    def __init__(self, sessions: sessionmaker[Session], org_id: str, taxonomy: Taxonomy):
        self._sessions = sessions
        self.org_id = org_id
        self._taxonomy = taxonomy

    def offer(self, record: OpportunityRecord, viewer: str | None) -> LossReviewOffer | None:
        """The review for the viewer of ``record``; None when the deal did not close lost or the
        viewer is not its owner."""
        if not is_offered_to(record, viewer):
            return None
        with self._sessions() as session:
            return self._offer(session, record, viewer)

    def _offer(self, session: Session, record: OpportunityRecord,
               viewer: str | None) -> LossReviewOffer:
        stages = review_stages(self._taxonomy, record)
        default, source = _last_open_stage(session, self.org_id, record.opportunity_id, stages), \
            "history"
        # The stages the panel saw are only the fallback of a deal without a stage history.
        trail = deal_trail(session, self.org_id, record.opportunity_id, stages=default is None)
        if default is None:
            default = next((s for s in trail.stages_seen if s in stages), None)
            source = "panel" if default is not None else None
        reasons = LossReasons(session, self.org_id)
        review = LossReviews(session, self.org_id).get(record.opportunity_id)
        owner = record_owner(record)
        may_edit = review is None or review.author_id == viewer or (owner is not None and owner == viewer)
        return LossReviewOffer(
            opportunity_id=record.opportunity_id, stages=stages, reasons=reasons.listed(),
            modules=self._choices(session, trail.shown), default_stage=default, review=review,
            may_edit=may_edit,
            reason_labels={key: reason.label for key, reason in reasons.known().items()},
            default_from=source,
        )

    def _choices(self, session: Session, shown: tuple[ShownModule, ...]) -> tuple[ModuleChoice, ...]:
        """The shown modules still in the catalog, newest first, at most MAX_USED_MODULES."""
        found = CatalogRepository(session, self.org_id).find(m.module_key for m in shown)
        return tuple(
            ModuleChoice(m.module_key, found[m.module_key].title, m.engaged)
            for m in shown if m.module_key in found
        )[:MAX_USED_MODULES]

    def save(self, record: OpportunityRecord, viewer: str | None,
             answers: object) -> tuple[LossReview, bool]:
        """Check ``answers`` against the deal's choices and store them in one transaction;
        returns the review and whether it is new. Raises :class:`Conflict` for a deal that did
        not close lost, :class:`Forbidden` for anyone but its owner (or its author, owner
        unknown), :class:`InvalidInput` naming each field at fault; nothing is written then."""
        if not is_lost(record):
            raise Conflict("Only a deal that closed lost can be reviewed.", reason="not_lost")
        if not is_offered_to(record, viewer):
            raise Forbidden("Only the deal's owner can review it.", reason="not_owner")
        with self._sessions.begin() as session:
            offer = self._offer(session, record, viewer)
            if not offer.may_edit:
                raise Forbidden("Only the deal's owner or the review's author can change it.",
                                reason="not_author")
            review = parse_review(answers, offer, author_id=viewer)
            if offer.review is not None:  # the author stays who first wrote it
                review = LossReview(**{**review.__dict__, "author_id": offer.review.author_id})
            saved = LossReviews(session, self.org_id).save(review)
        return saved, offer.review is None


def _last_open_stage(session: Session, org_id: str, opportunity_id: str,
                     stages: tuple[str, ...]) -> str | None:
    """The last of ``stages`` (the review's open ones) the deal's synced stage history shows it
    in, as the org's list spells it; None without a history."""
    offered = {stage.casefold(): stage for stage in stages}
    for entry in reversed(OpportunityHistory(session, org_id).entries([opportunity_id])):
        if entry.stage.strip().casefold() in offered:
            return offered[entry.stage.strip().casefold()]
    return None


def parse_review(answers: object, offer: LossReviewOffer, *, author_id: str | None) -> LossReview:
    """The review in ``answers`` (a JSON object or a form's fields), every field checked against
    the deal's choices; :class:`InvalidInput` lists every field at fault."""
    if not isinstance(answers, Mapping):
        raise InvalidInput("A loss review is an object of fields.",
                           errors=[FieldError("body", "must be an object", allowed=list(FIELDS))])
    errors: list[FieldError] = [
        FieldError(str(name)[:40], "is not a field of a loss review", allowed=list(FIELDS))
        for name in answers if name not in FIELDS
    ]
    stage = _choice(answers.get("stalled_stage"), "stalled_stage", offer.stages, errors)
    reason = _choice(answers.get("reason"), "reason", [r.key for r in offer.reasons], errors)
    used = _used(answers.get("used_modules", []), offer, errors)
    missing = _missing(answers.get("missing", ""), errors)
    if errors or stage is None or reason is None:  # a missing choice is always among the errors
        raise InvalidInput("The loss review was not saved: " + "; ".join(
            f"{e.field} {e.message}" for e in errors[:5]) + ".", errors=errors)
    return LossReview(offer.opportunity_id, stage, reason, used, missing, author_id=author_id)


def _choice(value: Any, name: str, allowed: Any, errors: list[FieldError]) -> str | None:
    allowed = list(allowed)
    if not isinstance(value, str) or not value:
        errors.append(FieldError(name, "is required: choose one", allowed=allowed[:50]))
        return None
    if value not in allowed:
        errors.append(FieldError(name, "is not one of the choices", value[:100], allowed[:50]))
        return None
    return value


def _used(value: Any, offer: LossReviewOffer, errors: list[FieldError]) -> tuple[str, ...]:
    allowed = [m.key for m in offer.modules]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(FieldError("used_modules", "must be a list of module ids"))
        return ()
    if len(value) > MAX_USED_MODULES:
        errors.append(FieldError("used_modules", f"has more than {MAX_USED_MODULES} modules"))
        return ()
    strangers = [v for v in value if v not in allowed]
    if strangers:
        errors.append(FieldError("used_modules", "names a module this deal's panel did not show",
                                 strangers[0][:64], allowed))
        return ()
    return tuple(dict.fromkeys(value))


def _missing(value: Any, errors: list[FieldError]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(FieldError("missing", "must be text"))
        return ""
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_MISSING_CHARS:
        errors.append(FieldError("missing", f"is longer than {MAX_MISSING_CHARS} characters"))
        return ""
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") and c not in _ALLOWED_CONTROLS
           for c in text):
        errors.append(FieldError("missing", "holds control or invisible formatting characters"))
        return ""
    return text


MAX_REASONS = 15
MIN_REASONS = 2
REASON_LABEL_CHARS = (2, 60)


def parse_reason_labels(text: object) -> list[str]:
    """An admin's list of loss reasons, one per line, in order: 2 to 15 distinct labels of 2 to 60
    printable characters; :class:`InvalidInput` names each line at fault."""
    if not isinstance(text, str) or len(text) > MAX_REASONS * (REASON_LABEL_CHARS[1] + 2) * 2:
        raise InvalidInput("Send the reasons as text, one per line.",
                           errors=[FieldError("reasons", "must be text of a few lines")])
    labels = [" ".join(line.split()) for line in text.splitlines()]
    labels = [label for label in labels if label]
    errors: list[FieldError] = []
    seen: set[str] = set()
    low, high = REASON_LABEL_CHARS
    for n, label in enumerate(labels, start=1):
        if not low <= len(label) <= high:
            errors.append(FieldError("reasons", f"line {n} must be {low} to {high} characters", label[:80]))
        elif any(unicodedata.category(c)[0] == "C" for c in label):
            errors.append(FieldError("reasons", f"line {n} holds control characters"))
        elif label.casefold() in seen:
            errors.append(FieldError("reasons", f"line {n} repeats a reason", label))
        seen.add(label.casefold())
    if not MIN_REASONS <= len(labels) <= MAX_REASONS:
        errors.append(FieldError("reasons", f"list {MIN_REASONS} to {MAX_REASONS} reasons, one per line"))
    if errors:
        raise InvalidInput("The reasons were not saved.", errors=errors)
    return labels
