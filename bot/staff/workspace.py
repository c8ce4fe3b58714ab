"""The contact person's work on a case beyond the conversation: calling the person,
logging contact attempts, the person's own plan, and whether care already knows them.

The phone number is shown only on its own page (`/call`), and every view of that page is
audited as `reveal_number`: a privacy officer can then see exactly who had the number,
when, and in order to call; the case page itself stays free of it.
"""

from __future__ import annotations

import datetime as dt
import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.outreach import plan as person_plan
from bot.outreach import turns
from bot.staff.action import Action, Handler, incomplete
from bot.staff.auth import require
from bot.staff.case_view import details, visible_case, zone
from bot.web.context import service_of
from bot.web.templating import page
from conversations.script import CONDITIONS
from locales import N_
from storage import casework, workspace
from storage.cases import audit
from storage.organisations import get_organisation
from storage.workspace import ATTEMPT_KINDS, ATTEMPT_OUTCOMES, WHO

__all__ = ["ACTIONS", "ATTEMPT_KINDS", "ATTEMPT_OUTCOMES", "PLAN_CONDITIONS", "WHO"]
PLAN_CONDITIONS = CONDITIONS  # the five basic conditions, network and the kind-check
MAX_TEXT = 500


async def call_page(request: Request) -> Response:
    """GET /admin/cases/{reference}/call: the number with a tel: link, audited per view."""
    session = await require(request)
    case = await visible_case(request, session)
    service = service_of(request)
    async with service.rt.db.transaction() as tx:
        target = await turns.route(tx, service.rt, case)
        await audit(
            tx, session.user.email, "reveal_number", case.id, service.clock.now().isoformat()
        )
    return page(
        "staff_call.html",
        session.user.language,
        session=session,
        case=case,
        phone=case.phone,
        channel=target[0] if target else None,
        outcomes=ATTEMPT_OUTCOMES[:-1],  # a call is never just "sent"
    )


def _when(a: Action) -> dt.datetime:
    """The moment an attempt happened: the posted local time, else now; never the future."""
    raw = a.fields.get("at", "").strip()
    if not raw:
        return a.now
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise incomplete() from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(a.service))
    return min(moment, a.now)


async def _attempt(a: Action) -> None:
    """Log a contact attempt: kind, outcome, when (default now) and an optional note."""
    kind, outcome = a.fields.get("kind", "phone"), a.fields.get("outcome", "")
    if kind not in workspace.ATTEMPT_KINDS or outcome not in workspace.ATTEMPT_OUTCOMES:
        raise incomplete()
    await workspace.log_attempt(
        a.tx,
        a.service.rt.vault,
        a.case.id,
        a.session.user.id,
        kind,
        outcome,
        _when(a),
        a.fields.get("note", "").strip()[:MAX_TEXT],
        a.now,
    )


def _due(raw: str) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise incomplete() from None


async def _plan_add(a: Action) -> None:
    """A new action in the person's plan: on which condition, what, who, by when."""
    condition, who = a.fields.get("condition", ""), a.fields.get("who", "")
    what = a.fields.get("what", "").strip()[:MAX_TEXT]
    if condition not in PLAN_CONDITIONS or who not in workspace.WHO or not what:
        raise incomplete()
    await workspace.add_action(
        a.tx,
        a.service.rt.vault,
        a.case.id,
        condition,
        what,
        who,
        _due(a.fields.get("due", "")),
        a.now,
    )
    await _replan(a)


async def _plan_status(a: Action) -> None:
    """An action is done, dropped, or open again."""
    action_id, status = a.fields.get("action_id", ""), a.fields.get("status", "")
    if not action_id.isdigit() or status not in workspace.ACTION_STATUSES:
        raise incomplete()
    if not await workspace.set_action_status(a.tx, a.case.id, int(action_id), status, a.now):
        raise HTTPException(404, N_("no such action"))
    await _replan(a)


async def _replan(a: Action) -> None:
    """Once agreed, reminders follow the plan as it changes."""
    if await workspace.plan_agreed_at(a.tx, a.case.id) and await person_plan.may_tell(a.tx, a.case):
        actions = await workspace.plan(a.tx, a.service.rt.vault, a.case.id)
        await person_plan.plan_reminders(a.tx, a.service.rt, a.case, actions, a.now)


async def _plan_agree(a: Action) -> None:
    """The plan is agreed with the person; with consent the bot sends them a summary and
    reminds them of their own actions."""
    if not await workspace.plan(a.tx, a.service.rt.vault, a.case.id):
        raise incomplete()
    await workspace.agree_plan(a.tx, a.case.id, a.now)
    await person_plan.tell_agreed(a.tx, a.service.rt, a.case, a.now)


async def _care(a: Action) -> None:
    """Known to care services: no, or yes and by which organisation."""
    known = a.fields.get("known")
    if known not in ("yes", "no"):
        raise incomplete()
    organisation = a.fields.get("organisation", "").strip()[:200]
    await workspace.set_care(a.tx, a.service.rt.vault, a.case.id, known == "yes", organisation)


ACTIONS: dict[str, Handler] = {
    "attempt": _attempt,
    "plan_add": _plan_add,
    "plan_status": _plan_status,
    "plan_agree": _plan_agree,
    "care": _care,
}


async def plan_print(request: Request) -> Response:
    """GET /admin/cases/{reference}/plan: the plan on paper for the intake meeting."""
    session = await require(request)
    case = await visible_case(request, session)
    service = service_of(request)
    info = await details(service, case)
    org = await get_organisation(service.rt.db, case.organisation_id)
    async with service.rt.db.transaction() as tx:
        await audit(tx, session.user.email, "print_plan", case.id, service.clock.now().isoformat())
    return page(
        "print_plan.html",
        session.user.language,
        case=case,
        organisation=org["name"] if org else "",
        conditions=PLAN_CONDITIONS,
        **info,
    )


async def handover(request: Request) -> Response:
    """GET /admin/cases/{reference}/handover: the plan and answers as JSON for the prison's
    re-integration work; only with consent to share with partners, and audited."""
    session = await require(request)
    case = await visible_case(request, session)
    service = service_of(request)
    db = service.rt.db
    consent = await casework.consent(db, case.id)
    if consent.get("share_with_partners") is not True:
        raise HTTPException(403, N_("no consent to share with partners"))
    document = await handover_document(service, case)
    async with db.transaction() as tx:
        await audit(tx, session.user.email, "handover", case.id, service.clock.now().isoformat())
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="overdracht-{case.reference}.json"'},
    )


async def handover_document(service, case) -> dict:
    """What goes to the prison: the five conditions plus network, and the plan."""
    db, vault = service.rt.db, service.rt.vault
    agreed = await workspace.plan_agreed_at(db, case.id)
    care = await workspace.care(db, vault, case.id)
    return {
        "reference": case.reference,
        "municipality": case.municipality,
        "report_date": case.report_date.isoformat(),
        "prison": case.prison,
        "conditions": {
            a.condition: {"status": a.status, "note": a.note}
            for a in await casework.answers(db, vault, case.id)
        },
        "known_to_care": {"known": care.known, "organisation": care.organisation or None},
        "plan_agreed_at": agreed.isoformat() if agreed else None,
        "plan": [
            {
                "condition": item.condition,
                "what": item.what,
                "who": item.who,
                "due": item.due.isoformat() if item.due else None,
                "status": item.status,
            }
            for item in await workspace.plan(db, vault, case.id)
        ],
    }
