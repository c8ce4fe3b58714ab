"""One posted staff action on a case, and the handler shape every action has."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosqlite
from starlette.exceptions import HTTPException

from bot.service import Service
from locales import N_
from storage.cases import Case
from storage.users import Session


@dataclass(frozen=True)
class Action:
    """One posted staff action on a case, inside the write transaction it commits with."""

    tx: aiosqlite.Connection
    service: Service
    session: Session
    case: Case  # as read in `tx`
    fields: dict[str, str]
    now: dt.datetime

    def text(self) -> str:
        """The posted text, trimmed ('' when none)."""
        return self.fields.get("text", "").strip()


Handler = Callable[[Action], Awaitable[None]]


def incomplete() -> HTTPException:
    """400 for an unknown action or one whose form lacks what it needs."""
    return HTTPException(400, N_("unknown or incomplete action"))
