"""One turn of a conversation: load state, run the engine, store the outcome atomically.

Every channel (terminal, simulator, SMS, WhatsApp, Telegram) goes through here.
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.runtime import Runtime
from conversations import engine
from conversations.state import Facts, Outcome
from storage.cases import Case
from storage.conversations import load_state, save_outcome

DEFAULT_SCRIPT = "intake"


async def facts_for(tx: aiosqlite.Connection, case: Case) -> Facts:
    async with tx.execute(
        "SELECT name, phone FROM organisations WHERE id = ?", (case.organisation_id,)
    ) as cur:
        org = await cur.fetchone()
    return Facts(
        first_name=case.first_name,
        report_date=case.report_date,
        invite_code=case.invite_code,
        organisation=org["name"],
        sender=org["name"],
        organisation_phone=org["phone"] or "",
        prison=case.prison or "",
    )


async def start(
    rt: Runtime, case: Case, channel: str, address: str | None, now: dt.datetime
) -> list[int]:
    """Open the conversation if it has not started; returns the queued outbox ids."""
    async with rt.db.transaction() as tx:
        if await load_state(tx, rt.vault, case.id) is not None:
            return []
        script = rt.scripts[DEFAULT_SCRIPT]
        outcome = engine.begin(script, await facts_for(tx, case), now, case.language)
        return await _save(rt, tx, case, outcome, channel, address, now)


async def receive(
    rt: Runtime,
    case: Case,
    text: str,
    channel: str,
    address: str | None,
    now: dt.datetime,
    inbound_id: int | None = None,
) -> list[int]:
    """Handle one message from the self-reporter; returns the queued outbox ids."""
    async with rt.db.transaction() as tx:
        if inbound_id is not None:
            await tx.execute(
                "UPDATE inbound SET processed_at = ?, case_id = ? WHERE id = ?",
                (now.isoformat(), case.id, inbound_id),
            )
        state = await load_state(tx, rt.vault, case.id)
        script = rt.scripts[DEFAULT_SCRIPT]
        facts = await facts_for(tx, case)
        if state is None:
            opening = engine.begin(script, facts, now, case.language)
            await _save(rt, tx, case, opening, channel, address, now)
            state = opening.state
        outcome = engine.reply(state, script, text, facts, now)
        return await _save(rt, tx, case, outcome, channel, address, now)


async def _save(rt, tx, case, outcome: Outcome, channel, address, now) -> list[int]:
    script = rt.scripts[DEFAULT_SCRIPT]
    return await save_outcome(
        tx,
        rt.vault,
        case,
        outcome,
        script_id=script.id,
        script_version=script.version,
        channel=channel,
        address=address,
        now=now,
    )


async def record_inbound(
    rt: Runtime,
    channel: str,
    provider_key: str,
    text: str,
    now: dt.datetime,
    sender_hash: str | None = None,
    case_id: int | None = None,
) -> int | None:
    """Store what came in, durably; None when this provider key was stored before."""
    async with rt.db.transaction() as tx:
        cur = await tx.execute(
            """INSERT INTO inbound (channel, provider_key, sender_hash, case_id, body, received_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, provider_key) DO NOTHING""",
            (
                channel,
                provider_key,
                sender_hash,
                case_id,
                rt.vault.seal(text, "inbound.body"),
                now.isoformat(),
            ),
        )
        return int(cur.lastrowid) if cur.rowcount else None
