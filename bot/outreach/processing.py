"""Processing stored arrivals: who is this, and what does the conversation say back?"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import sqlite3

import aiosqlite

from bot.clock import Clock, idle
from bot.config import Settings
from bot.outreach import alerts, handoff, turns
from bot.outreach.inbound import parse_payload
from bot.runtime import Runtime
from conversations.matching import match_keyword
from locales import N_, both, gettext
from storage.cases import INVITE_ALPHABET, INVITE_LENGTH, Case, get_case
from storage.conversations import queue_message
from storage.db import fetchone

log = logging.getLogger("voorzorg.processing")

BATCH = 25  # arrivals per transaction: one fsync, short enough to let acks in
MAX_FAILURES = 5  # wrong codes or unknown messages per address per window
FAILURE_WINDOW = dt.timedelta(hours=24)
UNKNOWN_SENDER = N_(
    "Voorzorg: we do not know this number yet. Please send the code from your letter."
)
WRONG_CODE = N_("Voorzorg: we do not know this code. Please check the letter and try again.")
LOCKED_OUT = N_("Voorzorg: too many tries. Please call the number on your letter.")
TEXT_ONLY = N_(
    "Please send your answer as text. We cannot read photos, stickers or voice messages."
)
EDITED = N_("You changed a message. Please send your answer as a new message.")
_CODE = re.compile(rf"^[{INVITE_ALPHABET}]{{{INVITE_LENGTH}}}$")


def claimed_code(text: str) -> str | None:
    """The invite code in `/start K7P2QD`, `k7p2qd` or `K7P 2QD`, if any."""
    squashed = re.sub(r"[\s\-]", "", text.removeprefix("/start")).upper()
    return squashed if _CODE.match(squashed) else None


class Processor:
    """Takes unprocessed inbound rows in order and runs each through its conversation."""

    def __init__(self, rt: Runtime, clock: Clock, stored: asyncio.Event, on_button=None):
        self.rt = rt
        self.clock = clock
        self.stored = stored
        self.on_button = on_button  # async callable(button_id), to answer Telegram presses
        self.after = lambda: None  # called when a row was processed (wakes the sender)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.process_pending()
            except Exception:
                log.exception("processing inbound failed; retrying")
                done = 0
            if done:
                continue
            await idle(self.stored, stop, seconds=1.0)
        await self.process_pending()  # what was acknowledged before shutdown is handled now

    async def process_pending(self, limit: int = BATCH) -> int:
        """Process a batch in one transaction (one fsync), a savepoint per arrival."""
        rows = await self.rt.db.fetchall(
            "SELECT * FROM inbound WHERE processed_at IS NULL ORDER BY id LIMIT ?", (limit,)
        )
        if not rows:
            return 0
        async with self.rt.db.transaction() as tx:
            buttons = [await self._process_one(tx, row) for row in rows]
        self.after()
        if self.on_button:
            for button in filter(None, buttons):
                await self.on_button(button)
        return len(rows)

    async def _process_one(self, tx: aiosqlite.Connection, row: sqlite3.Row) -> str | None:
        """Returns the Telegram button press to acknowledge, if any."""
        vault = self.rt.vault
        now = self.clock.now()
        await tx.execute("SAVEPOINT arrival")
        try:
            payload = parse_payload(vault.open(row["body"], "inbound.body") or "{}")
            sender = vault.open(row["sender"], "inbound.sender") or ""
            contact = await alerts.staff_contact(tx, row["channel"], sender)
            case = None
            if contact is not None:
                text = str(payload.get("text") or "")
                await handoff.from_contact(
                    tx, self.rt, contact, row["channel"], sender, text, payload.get("reply_to"), now
                )
            else:
                case = await self._identify(tx, row["channel"], sender, row["sender_hash"])
                await self._respond(
                    tx, case, row["channel"], sender, row["sender_hash"], payload, now
                )
            done = await tx.execute(
                """UPDATE inbound SET processed_at = ?, case_id = ?
                   WHERE id = ? AND processed_at IS NULL""",
                (now.isoformat(), case.id if case else None, row["id"]),
            )
            if done.rowcount == 0:  # another worker got here first
                await tx.execute("ROLLBACK TO arrival")
                payload = {}
        except Exception as exc:
            await tx.execute("ROLLBACK TO arrival")
            log.exception("inbound %s could not be processed", row["id"])
            await tx.execute(
                "UPDATE inbound SET processed_at = ?, error = ? WHERE id = ?",
                (now.isoformat(), type(exc).__name__, row["id"]),
            )
            payload = {}
        await tx.execute("RELEASE arrival")
        return payload.get("button_id")

    async def _identify(self, tx, channel: str, sender: str, sender_hash: str) -> Case | None:
        bound = await fetchone(
            tx,
            """SELECT case_id FROM channel_identities WHERE channel = ? AND address_hash = ?
               AND dead = 0 ORDER BY id DESC LIMIT 1""",
            (channel, sender_hash),
        )
        if bound:
            return await get_case(self.rt.db, self.rt.vault, case_id=bound[0])
        phone = _phone_of(self.rt.settings, channel, sender)
        if phone:
            found = await fetchone(
                tx,
                "SELECT id FROM cases WHERE phone_hash = ? ORDER BY report_date DESC, id DESC",
                (self.rt.vault.lookup_hash(phone),),
            )
            if found:
                return await get_case(self.rt.db, self.rt.vault, case_id=found[0])
        return None

    async def _respond(self, tx, case, channel, sender, sender_hash, payload, now) -> list[int]:
        kind, text = payload.get("kind"), str(payload.get("text") or "")
        if case is None:
            return await self._stranger(tx, channel, sender, sender_hash, text, now)
        if kind in ("media", "edited"):
            message = TEXT_ONLY if kind == "media" else EDITED
            reply = gettext(case.language, message)
            return [
                await queue_message(tx, self.rt.vault, case.id, channel, sender, reply, (), now)
            ]
        if case.taken_over_by is not None:
            keywords = (await turns.script_of(tx, self.rt, case)).keyword_forms
            if match_keyword(text, keywords) != "stop":
                await handoff.relay_to_contact(tx, self.rt, case, text, now)
                return []
        if text.startswith("/start"):
            return await turns.resume(tx, self.rt, case, channel, sender, now)
        return await turns.receive(tx, self.rt, case, text, channel, sender, now)

    async def _stranger(self, tx, channel, sender, sender_hash, text, now) -> list[int]:
        """Someone we do not know: only an invite code helps; say nothing about anyone."""
        failures = await _failures(tx, channel, sender_hash, now)
        if failures >= MAX_FAILURES:
            return []
        code = claimed_code(text)
        case = await get_case(self.rt.db, self.rt.vault, invite_code=code) if code else None
        if case is not None:
            await bind(tx, self.rt, case, channel, sender, now)
            return await turns.resume(tx, self.rt, case, channel, sender, now)
        failures = await _fail(tx, channel, sender_hash, now)
        if failures >= MAX_FAILURES:
            message = LOCKED_OUT
        else:
            message = WRONG_CODE if code or text.startswith("/start") else UNKNOWN_SENDER
        return [
            await queue_message(tx, self.rt.vault, None, channel, sender, both(message), (), now)
        ]


def _phone_of(settings: Settings, channel: str, sender: str) -> str | None:
    if channel == "sms":
        return sender
    if channel == "whatsapp" and settings.whatsapp_is_sms:
        return sender.removeprefix("whatsapp:")
    return None


async def bind(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, channel: str, sender: str, now: dt.datetime
) -> None:
    """From now on, messages from this address on this channel belong to this case."""
    sender_hash = rt.vault.lookup_hash(sender)
    await tx.execute(
        """INSERT INTO channel_identities (case_id, channel, address, address_hash, created_at)
           VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, address_hash, case_id)
           DO UPDATE SET dead = 0""",
        (
            case.id,
            channel,
            rt.vault.seal(sender, "channel_identities.address"),
            sender_hash,
            now.isoformat(),
        ),
    )
    await tx.execute(
        "DELETE FROM code_attempts WHERE channel = ? AND address_hash = ?", (channel, sender_hash)
    )


async def _failures(
    tx: aiosqlite.Connection, channel: str, address_hash: str, now: dt.datetime
) -> int:
    row = await fetchone(
        tx,
        "SELECT failures, window_start FROM code_attempts WHERE channel = ? AND address_hash = ?",
        (channel, address_hash),
    )
    if row is None or dt.datetime.fromisoformat(row[1]) + FAILURE_WINDOW < now:
        return 0
    return int(row[0])


async def _fail(tx: aiosqlite.Connection, channel: str, address_hash: str, now: dt.datetime) -> int:
    failures = await _failures(tx, channel, address_hash, now) + 1
    window = now.isoformat() if failures == 1 else None
    await tx.execute(
        """INSERT INTO code_attempts (channel, address_hash, failures, window_start)
           VALUES (?, ?, ?, ?) ON CONFLICT (channel, address_hash) DO UPDATE SET
           failures = excluded.failures,
           window_start = COALESCE(?, code_attempts.window_start)""",
        (channel, address_hash, failures, now.isoformat(), window),
    )
    return failures
