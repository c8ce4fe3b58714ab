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
from bot.outreach import alerts, delivery, handoff, scheduler, turns
from bot.outreach.inbound import parse_payload
from bot.runtime import Runtime
from conversations.matching import match_keyword
from locales import N_, both, gettext
from storage import contacts, identities, inbound, inbox, routes
from storage.cases import INVITE_ALPHABET, INVITE_LENGTH, Case, get_case
from storage.db import savepoint
from storage.organisations import get_organisation
from storage.outbox import queue_message

log = logging.getLogger("voorzorg.processing")

BATCH = 100  # arrivals per transaction: one fsync, short enough for staff pages' writes
FORGET_EVERY = 1000  # taken-in arrivals forgotten from the inbox at once (or when idle)
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
UNREADABLE = N_(
    "We cannot read this kind of message. Please type your answer. "
    "Want to talk to a person? Send HUMAN."
)
UNREADABLE_CALL = N_(
    "We cannot read this kind of message. Please type your answer. "
    "Want to talk to a person? Send HUMAN or call {phone}."
)
CODE_TAKEN = N_("Voorzorg: this code is already in use. Please call the number on your letter.")
NOT_PROCESSED = N_("Sorry, we could not read your message. A staff member will look at it.")
RETRY_SECONDS = (5, 30, 120)  # an arrival that fails is tried again, then answered
_CODE = re.compile(rf"^[{INVITE_ALPHABET}]{{{INVITE_LENGTH}}}$")


def claimed_code(text: str) -> str | None:
    """The invite code in `/start K7P2QD`, `k7p2qd` or `K7P 2QD`, if any."""
    squashed = re.sub(r"[\s\-]", "", text.removeprefix("/start")).upper()
    return squashed if _CODE.match(squashed) else None


class _AlreadyProcessed(Exception):
    """This arrival was recorded processed by someone else meanwhile (the batch skips
    those it knows were taken in before): its turn is undone."""


class Processor:
    """Takes arrivals from the inbox in order and runs each through its conversation;
    failed ones again when their retry is due."""

    def __init__(self, rt: Runtime, clock: Clock, on_button=None):
        self.rt = rt
        self.clock = clock
        self.stored = asyncio.Event()  # set when the inbox may have something new
        self.on_button = on_button  # async callable(button_id), to answer Telegram presses
        self.after = lambda: None  # called when a row was processed (wakes the sender)
        self._taken = 0  # the last inbox id taken in (it stays there until forgotten)
        self._forgotten = 0

    @property
    def taken(self) -> int:
        """The last inbox id taken into the database by this processor."""
        return self._taken

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.process_pending()
            except Exception:
                log.exception("processing inbound failed; retrying")
                done = 0
            if done:
                await asyncio.sleep(0)  # inline SQLite never yields: let the sender run
                continue
            await self.forget()
            await idle(self.stored, stop, seconds=1.0)
        while await self.process_pending():  # what was acknowledged is handled before exit
            pass
        await self.forget()

    async def process_pending(self, limit: int = BATCH) -> int:
        """Process a batch in one transaction (one fsync), a savepoint per arrival."""
        fresh = await inbox.after(self.rt.inbox, self._taken, limit)
        again = await inbound.due_again(self.rt.db, self.clock.now(), limit)
        if not fresh and not again:
            return 0
        with scheduler.reading_once():  # the batch's transaction holds the write lock
            async with self.rt.db.transaction() as tx:
                buttons = [await self._process_one(tx, row) for row in again]
                known = await inbound.taken_in(tx, fresh)  # before a restart: recognised, skipped
                buttons += [
                    await self._process_one(tx, arrival, fresh=True)
                    for arrival in fresh
                    if (arrival["channel"], arrival["provider_key"]) not in known
                ]
        if fresh:
            self._taken = fresh[-1]["id"]
            if self._taken - self._forgotten >= FORGET_EVERY:
                await self.forget()
        self.after()
        if self.on_button:
            for button in filter(None, buttons):
                await self.on_button(button)
        return len(fresh) + len(again)

    async def forget(self) -> None:
        """Remove what was taken in from the inbox (it is safe in the database now)."""
        if self._taken > self._forgotten:
            async with self.rt.inbox.transaction() as tx:
                await inbox.forget(tx, self._taken)
            self._forgotten = self._taken

    async def _process_one(
        self, tx: aiosqlite.Connection, row: sqlite3.Row, fresh: bool = False
    ) -> str | None:
        """Run one arrival's turn and record it processed, in a savepoint of the batch.

        `row` is an `inbound` row due for another try, or with `fresh` an arrival from the
        inbox, taken in by the same write that records it processed (`inbound.take_processed`).
        An arrival found taken in before all the same (the caller skips those it knows of)
        has its turn undone. Returns the Telegram button press to acknowledge, if any."""
        now = self.clock.now()
        try:
            async with savepoint(tx, "arrival"):
                payload, case_id = await self._handle(tx, row, now)
                if fresh:
                    recorded = await inbound.take_processed(tx, row, case_id, now)
                else:
                    recorded = await inbound.mark_processed(tx, row["id"], case_id, now)
                if not recorded:
                    raise _AlreadyProcessed  # taken in or processed before: undo this turn
        except _AlreadyProcessed:
            return None
        except Exception as exc:
            if fresh and (row := await inbound.take(tx, row)) is None:
                return None  # taken in before: that row keeps its own outcome
            log.error("inbound %s: %s", row["id"], type(exc).__name__, exc_info=True)
            await self._failed(tx, row, type(exc).__name__, now)
            return None
        return payload.get("button_id")

    async def _failed(self, tx: aiosqlite.Connection, row: sqlite3.Row, error: str, now) -> None:
        """Try again later with backoff; after the last try, tell the person and the
        contact person: a message is never dropped without a word."""
        tries = row["attempts"] + 1
        if tries <= len(RETRY_SECONDS):
            later = now + dt.timedelta(seconds=RETRY_SECONDS[tries - 1])
            await inbound.retry_later(tx, row["id"], error, later)
            return
        await inbound.mark_failed(tx, row["id"], error, now)
        try:
            async with savepoint(tx, "apology"):
                await self._apologise(tx, row, error, now)
        except Exception:
            log.error("inbound %s: could not even apologise", row["id"], exc_info=True)

    async def _apologise(self, tx: aiosqlite.Connection, row: sqlite3.Row, error: str, now):
        vault = self.rt.vault
        sender = vault.open(row["sender"], "inbound.sender") or ""
        case = await self._identify(tx, row["channel"], sender, row["sender_hash"])
        text = gettext(case.language, NOT_PROCESSED) if case else both(NOT_PROCESSED)
        case_id = case.id if case else None
        await queue_message(tx, vault, case_id, row["channel"], sender, text, (), now)
        if case is not None:
            note = f"inbound {row['id']} on {row['channel']}: {error}"
            await alerts.escalate(tx, self.rt, case, "unreadable", now, note=note)

    async def _handle(
        self, tx: aiosqlite.Connection, row: sqlite3.Row, now
    ) -> tuple[dict, int | None]:
        """Answer one arrival, in the caller's savepoint; returns its payload and its case
        (None: a contact person's message, or a stranger's)."""
        vault = self.rt.vault
        payload = parse_payload(vault.open(row["body"], "inbound.body") or "{}")
        sender = vault.open(row["sender"], "inbound.sender") or ""
        contact = await contacts.by_address(tx, row["channel"], sender)
        case = None
        if contact is not None:
            text = str(payload.get("text") or "")
            await handoff.from_contact(
                tx, self.rt, contact, row["channel"], sender, text, payload.get("reply_to"), now
            )
        else:
            case = await self._identify(tx, row["channel"], sender, row["sender_hash"])
            await self._respond(tx, case, row["channel"], sender, row["sender_hash"], payload, now)
        return payload, case.id if case else None

    async def _identify(self, tx, channel: str, sender: str, sender_hash: str) -> Case | None:
        """The case this sender's messages belong to, read inside the batch's transaction
        (so a takeover or opt-out by an earlier message of the batch counts)."""
        phone = _phone_of(self.rt.settings, channel, sender)
        return await identities.case_of_sender(tx, self.rt.vault, channel, sender_hash, phone)

    async def _respond(self, tx, case, channel, sender, sender_hash, payload, now) -> list[int]:
        kind, text = payload.get("kind"), str(payload.get("text") or "")
        if case is None:
            return await self._stranger(tx, channel, sender, sender_hash, text, now)
        await routes.revive(tx, self.rt.vault, case.id, channel, sender)
        if kind in ("media", "edited", "unreadable"):
            reply = await self._cannot_read(tx, case, kind)
            return [
                await queue_message(tx, self.rt.vault, case.id, channel, sender, reply, (), now)
            ]
        if channel == "whatsapp" and await delivery.answer_to_template(
            tx, self.rt, case, text, now
        ):
            return []  # their answer opened WhatsApp's window: what waited goes out now
        if case.taken_over_by is not None:
            _, script = await turns.conversation(tx, self.rt, case)
            if match_keyword(text, script.keyword_forms) != "stop":
                await handoff.relay_to_contact(tx, self.rt, case, text, now)
                return []
        if text.startswith("/start"):
            return await turns.resume(tx, self.rt, case, (channel, sender), now)
        return await turns.receive(tx, self.rt, case, text, (channel, sender), now)

    async def _cannot_read(self, tx: aiosqlite.Connection, case: Case, kind: str) -> str:
        """Photos get a tip; a voice note, contact or location gets a way to a person."""
        if kind != "unreadable":
            return gettext(case.language, TEXT_ONLY if kind == "media" else EDITED)
        org = await get_organisation(tx, case.organisation_id)
        phone = org["phone"] if org else None
        if phone:
            return gettext(case.language, UNREADABLE_CALL).format(phone=phone)
        return gettext(case.language, UNREADABLE)

    async def _stranger(self, tx, channel, sender, sender_hash, text, now) -> list[int]:
        """Someone we do not know: only an invite code helps; say nothing about anyone."""
        failures = await identities.code_failures(tx, channel, sender_hash, now, FAILURE_WINDOW)
        if failures >= MAX_FAILURES:
            return []
        code = claimed_code(text)
        case = await get_case(tx, self.rt.vault, invite_code=code) if code else None
        if case is not None and self._code_expired(case, now):
            case = None  # after the report date a letter's code opens nothing
        if case is not None and await identities.claimed_elsewhere(
            tx, case.id, channel, sender_hash
        ):
            return await self._code_taken(tx, case, channel, sender, sender_hash, now)
        if case is not None:
            await bind(tx, self.rt, case, channel, sender, now)
            return await turns.resume(tx, self.rt, case, (channel, sender), now)
        failures = await identities.record_code_failure(
            tx, channel, sender_hash, now, FAILURE_WINDOW
        )
        if failures >= MAX_FAILURES:
            message = LOCKED_OUT
        else:
            message = WRONG_CODE if code or text.startswith("/start") else UNKNOWN_SENDER
        return [
            await queue_message(tx, self.rt.vault, None, channel, sender, both(message), (), now)
        ]

    def _code_expired(self, case: Case, now: dt.datetime) -> bool:
        return self.rt.calendar.local(now).date() > case.report_date

    async def _code_taken(self, tx, case: Case, channel, sender, sender_hash, now) -> list[int]:
        """A second chat claims a code that belongs to one person: refused, counted as a
        wrong try, and the contact person is told (once while it is open)."""
        await identities.record_code_failure(tx, channel, sender_hash, now, FAILURE_WINDOW)
        note = f"a second {channel} chat sent the invite code"
        await alerts.escalate(tx, self.rt, case, "code_claimed_twice", now, note=note, once=True)
        reply = both(CODE_TAKEN)
        return [await queue_message(tx, self.rt.vault, None, channel, sender, reply, (), now)]


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
    await identities.bind(tx, rt.vault, case.id, channel, sender, now)
