"""/admin/scripts: administrators edit what the bot says, check it, preview it, publish."""

from __future__ import annotations

import asyncio
import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.staff.auth import posted, require
from bot.staff.case_view import local_time, zone
from bot.web.context import service_of
from bot.web.templating import page
from conversations.plain import check_messages
from conversations.render import RenderError
from conversations.script import Script, ScriptError, load_script
from conversations.testing import SAM, Conversation
from conversations.translations import unreviewed
from conversations.validate import Finding, validate
from locales import N_, gettext
from storage import scripts as store
from storage.cases import audit

STATUSES = (N_("draft"), N_("published"), N_("retired"))  # shown translated in the list
MAX_SOURCE = 200_000
MAX_PREVIEW_TURNS = 60


# A script in five languages is about 90 KB of YAML; URL-encoded Arabic triples in size.
SCRIPT_FORM_BYTES = 2 * 1024 * 1024


def routes() -> list[Route]:
    return [
        Route("/admin/scripts", index),
        Route("/admin/scripts/{script_id}", editor),
        Route("/admin/scripts/{script_id}/{action}", act, methods=["POST"]),
    ]


async def reviewed(source: str, language: str) -> dict:
    """`review` in a worker thread: a slow draft never holds up the event loop (its
    renders are on a budget too, so the thread ends soon)."""
    return await asyncio.to_thread(review, source, language)


def review(source: str, language: str = "en") -> dict:
    """Findings (in `language`) and per-message checks for a source text: what the editor
    shows."""
    try:
        script = load_script(source, "draft")
    except ScriptError as exc:
        return {"errors": [str(exc)], "warnings": [], "messages": []}
    try:
        findings = validate(script)
        messages = check_messages(script) if not any(f.level == "error" for f in findings) else []
    except Exception as exc:  # a draft can be broken in ways no check foresaw
        broken = Finding("error", "script", N_("cannot check: {error}"), (("error", str(exc)),))
        findings, messages = [broken], []

    def said(finding: Finding) -> str:
        return finding.said(lambda english: gettext(language, english))

    return {
        "unreviewed": _awaiting_review(script),
        "errors": [said(f) for f in findings if f.level == "error"],
        "warnings": [said(f) for f in findings if f.level == "warning"],
        "messages": [
            {
                "where": m.where,
                "segments": m.segments,
                "encoding": m.encoding,
                "long_sentences": list(m.long_sentences),
                "long_words": list(m.long_words),
            }
            for m in messages
        ],
    }


def _awaiting_review(script: Script) -> dict[str, list[str]]:
    """Per language, the texts still drafts or missing: what a reviewer should read."""
    waiting: dict[str, list[str]] = {}
    for where, language in unreviewed(script):
        waiting.setdefault(language, []).append(where)
    return waiting


async def index(request: Request) -> Response:
    session = await require(request, admin=True)
    service = service_of(request)
    tz = zone(service)
    rows = [
        dict(r) | {"when": local_time(r["published_at"] or r["updated_at"], tz)}
        for r in await store.versions(service.rt.db)
    ]
    return page("staff_scripts.html", session.user.language, session=session, rows=rows)


async def editor(request: Request) -> Response:
    session = await require(request, admin=True)
    service = service_of(request)
    script_id = request.path_params["script_id"]
    draft = await store.draft(service.rt.db, script_id, session.user.email, service.clock.now())
    if draft is None:
        raise HTTPException(404, N_("no such script"))
    return page(
        "staff_script.html",
        session.user.language,
        session=session,
        draft=draft,
        review=await reviewed(draft["source"], session.user.language),
        preview=None,
    )


async def act(request: Request) -> Response:
    session = await require(request, admin=True)
    fields = await posted(request, session, SCRIPT_FORM_BYTES)
    service = service_of(request)
    script_id, action = request.path_params["script_id"], request.path_params["action"]
    source = fields.get("source", "")
    if len(source) > MAX_SOURCE:
        raise HTTPException(413, N_("script too long"))
    if action == "check":
        return JSONResponse(await reviewed(source, session.user.language))
    if action == "preview":
        return await _preview(request, session, script_id, source, fields)
    now, editor_email = service.clock.now(), session.user.email
    try:
        if action == "save":
            await store.save_draft(
                service.rt.db,
                script_id,
                source,
                int(fields.get("revision", "0")),
                editor_email,
                now,
            )
        elif action == "publish":
            checked = await reviewed(source, session.user.language)  # what is in the editor
            if checked["errors"]:
                return await _with_errors(session, script_id, source, fields)
            await store.save_draft(  # publish what is in the editor: save it first
                service.rt.db,
                script_id,
                source,
                int(fields.get("revision", "0")),
                editor_email,
                now,
            )
            await store.publish(service.rt.db, script_id, None, editor_email, now)
            await service.rt.reload(script_id)
        elif action == "rollback":
            await store.publish(service.rt.db, script_id, int(fields["version"]), editor_email, now)
            await service.rt.reload(script_id)
        else:
            raise HTTPException(400, N_("unknown action"))
    except store.Conflict as exc:
        return await _editor_again(session, script_id, source, fields, 409, conflict=str(exc))
    except (LookupError, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None
    async with service.rt.db.transaction() as tx:
        await audit(tx, editor_email, f"script_{action}", None, now.isoformat(), script_id)
    return RedirectResponse(f"/admin/scripts/{script_id}", status_code=303)


async def _with_errors(session, script_id: str, source: str, fields: dict) -> Response:
    """The editor again, with the text as typed and why it cannot be published."""
    return await _editor_again(session, script_id, source, fields, 400, not_published=True)


async def _editor_again(
    session, script_id: str, source: str, fields: dict, status: int, **why
) -> Response:
    """The editor with the text as typed (nothing lost) and `why` it was not taken."""
    return page(
        "staff_script.html",
        session.user.language,
        status=status,
        session=session,
        draft={
            "script_id": script_id,
            "source": source,
            "revision": fields.get("revision"),
            "version": fields.get("version", "?"),
        },
        review=await reviewed(source, session.user.language),
        preview=None,
        **why,
    )


def _replay(source: str, language: str | None, inputs: list[str]) -> list[tuple[str, str]]:
    """The draft's conversation with Sam for these inputs (in a worker thread)."""
    chat = Conversation(load_script(source, "draft"), SAM, language=language)
    transcript = [("bot", m.text) for m in chat.last]
    for text in inputs:
        transcript.append(("person", text))
        transcript += [("bot", said) for said in chat.send(text)]
    return transcript


async def _preview(request, session, script_id: str, source: str, fields: dict) -> Response:
    """Replay the inputs so far through the draft: the engine is pure, so this is exact."""
    inputs = json.loads(fields.get("inputs") or "[]")[:MAX_PREVIEW_TURNS]
    if fields.get("text", "").strip():
        inputs.append(fields["text"][:2000])
    checked = await reviewed(source, session.user.language)
    transcript: list[tuple[str, str]] = []
    if not checked["errors"]:
        language = fields.get("language") or None
        try:
            transcript = await asyncio.to_thread(_replay, source, language, inputs)
        except RenderError as exc:
            checked = {**checked, "errors": [f"does not render: {exc}"]}
    draft = {
        "script_id": script_id,
        "source": source,
        "revision": fields.get("revision"),
        "version": fields.get("version", "?"),
    }
    return page(
        "staff_script.html",
        session.user.language,
        session=session,
        draft=draft,
        review=checked,
        preview=transcript,
        inputs=json.dumps(inputs),
    )
