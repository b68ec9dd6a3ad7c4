"""``/api/v1/modules/<id>/personalised…``: a template filled in with one opportunity's data."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, Response, request

from content_catalog.modules import ContentModule
from content_catalog.placeholders import GAP_CLOSE, GAP_OPEN, Personalised
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import ModuleStatus
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.content.docx_export import DOCX_MIMETYPE, markdown_to_docx
from plugin.content.export_limits import ExportTooLarge
from plugin.content.pdf_export import PDF_MIMETYPE, markdown_to_pdf
from plugin.errors import InvalidInput, NotFound, Unauthorised
from plugin.crm.sources import OpportunityNotFound, OpportunitySource, SourceUnavailable
from plugin.content.opportunity_values import personalise_for
from plugin.content.rendering import markdown_to_html
from plugin.crm.records import OpportunityRecord
from plugin.web.app_services import services
from plugin.web.identity import current_user
from plugin.web.json_body import json_object
from plugin.web.request_org import RequestOrg, current_org
from plugin.panel.partner_viewers import visible_to

blueprint = Blueprint("personalise", __name__, url_prefix="/api/v1")

#: The longest edited text taken at all: a module body's limit plus room for values (a
#: document of it is bounded again, more tightly, by export_limits).
MAX_EDITED_CHARS = 200_000
#: A gap left for a missing value, as the rep may still have it in their edited text.
GAP = re.compile(f"{re.escape(GAP_OPEN)}([^{GAP_OPEN}{GAP_CLOSE}]*){re.escape(GAP_CLOSE)}")


@dataclass(frozen=True)
class PersonalisedModule:
    module: ContentModule
    opportunity_id: str
    result: Personalised
    #: Set when the CRM could not be read and every value became a gap.
    notice: str | None = None


@blueprint.get("/modules/<module_id>/personalised")
def personalised(module_id: str):
    found = personalise_module(module_id)
    return {
        "module_id": found.module.key,
        "title": found.module.title,
        "opportunity_id": found.opportunity_id,
        "markdown": found.result.text,
        "html": markdown_to_html(found.result.text),
        "missing": list(found.result.missing),
        "notice": found.notice,
    }


@blueprint.get("/modules/<module_id>/personalised.md")
def personalised_markdown(module_id: str):
    found = personalise_module(module_id)
    return _attachment(found.result.text.encode("utf-8"), "text/markdown",
                       download_name(found.module.key, "md"))


@blueprint.get("/modules/<module_id>/personalised.docx")
def personalised_docx(module_id: str):
    found = personalise_module(module_id)
    document = _docx(found.result.text, title=found.module.title)
    return _attachment(document, DOCX_MIMETYPE, download_name(found.module.key, "docx"))


@blueprint.post("/modules/<module_id>/personalised.docx")
def edited_docx(module_id: str):
    """The rep's edited text as a document. The text is converted as it is, never personalised
    again: a value the first pass inserted (an account named ``{{rep.name}}``) stays literal."""
    opportunity_id = _opportunity_param()
    org = current_org(record_id=opportunity_id)
    module = _published_module(org.org_id, module_id, partner=org.partner)
    markdown = _edited_markdown()
    document = _docx(markdown, title=module.title)
    return _attachment(document, DOCX_MIMETYPE, download_name(module.key, "docx"))


@blueprint.get("/modules/<module_id>/personalised.pdf")
def personalised_pdf(module_id: str):
    found = personalise_module(module_id)
    return _attachment(_pdf(found.result.text, found.module.title), PDF_MIMETYPE,
                       download_name(found.module.key, "pdf"))


@blueprint.post("/modules/<module_id>/personalised.pdf")
def edited_pdf(module_id: str):
    """The rep's edited text as a PDF, converted as it is (see :func:`edited_docx`)."""
    opportunity_id = _opportunity_param()
    org = current_org(record_id=opportunity_id)
    module = _published_module(org.org_id, module_id, partner=org.partner)
    document = _pdf(_edited_markdown(), module.title)
    return _attachment(document, PDF_MIMETYPE, download_name(module.key, "pdf"))


@blueprint.post("/modules/<module_id>/personalised/preview")
def edited_preview(module_id: str):
    """The rep's edited text as the preview shows it (sanitised HTML), and the gaps it still
    has, so the panel's preview and its "fill in the gaps" notice follow the edits."""
    opportunity_id = _opportunity_param()
    org = current_org(record_id=opportunity_id)
    _published_module(org.org_id, module_id, partner=org.partner)
    markdown = _edited_markdown()
    return {"html": markdown_to_html(markdown), "gaps": remaining_gaps(markdown)}


def remaining_gaps(markdown: str) -> list[str]:
    """The gaps still in the text, once each, in order: ``["rep name", "account name"]``."""
    return list(dict.fromkeys(match.group(1) for match in GAP.finditer(markdown)))


def personalise_module(module_id: str) -> PersonalisedModule:
    opportunity_id = _opportunity_param()
    org = current_org(record_id=opportunity_id)
    module = _published_module(org.org_id, module_id, partner=org.partner)
    record, notice = _fetch(org.source, opportunity_id)
    # The demo org's records are in US dollars, as its record page shows. A real org's currency
    # is not in the context query, so its amounts go without a symbol rather than a wrong one.
    currency = "USD" if org.org_id == DEMO_ORG_ID else None
    result = personalise_for(module.body, record, rep_name=_rep_name(org), currency=currency)
    return PersonalisedModule(module, opportunity_id, result, notice)


def _rep_name(org: RequestOrg) -> str | None:
    """Who is personalising: the app token's user (inside Salesforce), else the person signed in
    to the same org (a workspace session, or the demo's identity); unknown, a visible gap."""
    if org.token is not None:
        return org.token.user_name
    try:
        user = current_user()
    except Unauthorised:
        return None
    return user.name if user.org_id == org.org_id else None


def _pdf(markdown: str, title: str) -> bytes:
    try:
        return markdown_to_pdf(markdown, title=title)
    except ExportTooLarge as exc:
        raise InvalidInput(str(exc)) from None


def download_name(module_key: str, extension: str) -> str:
    """``<module-id>-personalised.<ext>``, ASCII letters, digits and hyphens only."""
    stem = re.sub(r"[^a-z0-9-]+", "-", module_key.lower()).strip("-")[:64] or "module"
    return f"{stem}-personalised.{extension}"


def _opportunity_param() -> str:
    opportunity_id = request.args.get("opportunity", "").strip()
    if not opportunity_id:
        raise InvalidInput("Say which opportunity to personalise for: ?opportunity=<Opportunity Id>.")
    return opportunity_id[:40]


def _published_module(org_id: str, module_id: str, *, partner: bool = False) -> ContentModule:
    """The published module, or 404; to a partner user, only one marked for partners."""
    with services().sessions() as session:
        try:
            found = CatalogRepository(session, org_id).get(module_id[:64])
        except ModuleNotFound:
            found = None
    if (found is None or found.status is not ModuleStatus.PUBLISHED
            or not visible_to(found, partner=partner)):
        raise NotFound("This content module is not available.")
    return found


def _fetch(source: OpportunitySource, opportunity_id: str) -> tuple[OpportunityRecord | None, str | None]:
    try:
        return source.fetch(opportunity_id), None
    except OpportunityNotFound:
        raise NotFound(f"No opportunity {opportunity_id!r} in this org.") from None
    except SourceUnavailable as exc:
        return None, exc.notice


def _edited_markdown() -> str:
    hint = 'Send the text as JSON: {"markdown": "..."} (Content-Type: application/json).'
    markdown = json_object(hint).get("markdown")
    if not isinstance(markdown, str):
        raise InvalidInput(hint)
    if len(markdown) > MAX_EDITED_CHARS:
        raise InvalidInput(f"The text is longer than {MAX_EDITED_CHARS} characters.")
    return markdown


def _docx(markdown: str, *, title: str) -> bytes:
    try:
        return markdown_to_docx(markdown, title=title)
    except ExportTooLarge as exc:
        raise InvalidInput(str(exc)) from None


def _attachment(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blueprint.after_request
def _not_stored(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # the customer's data, personalised
    return response
