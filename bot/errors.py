"""Voorzorg's errors: one hierarchy, so callers can catch what they can handle.

HTTP errors are Starlette's `HTTPException`; the storage and conversation layers raise
their own (`storage.SchemaTooNew`, `storage.crypto.SealError`, `conversations.script.
ScriptError`, `conversations.render.RenderError`), which the CLI reports the same way.
"""

from __future__ import annotations


class VoorzorgError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(VoorzorgError):
    """A setting is missing or wrong; the message says which and how to fix it."""


class UserError(VoorzorgError):
    """Something the operator can fix; the CLI prints it as one line."""


class FileError(UserError):
    """An import file has problems; one line per problem."""


class NoRoute(VoorzorgError):
    """The person cannot be reached on any channel."""


class BadRequest(VoorzorgError):
    """A provider's request we refuse: the status to answer and why (never the body)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SendError(VoorzorgError):
    """A provider refused or failed; `retry` says whether trying later can help."""

    def __init__(self, reason: str, *, retry: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.retry_after = retry_after


class RecipientOptedOut(SendError):
    """The carrier says this number opted out (Twilio error 21610)."""

    def __init__(self, reason: str):
        super().__init__(reason, retry=False)


class RecipientGone(SendError):
    """The person blocked the bot or the chat no longer exists (Telegram 403)."""

    def __init__(self, reason: str):
        super().__init__(reason, retry=False)


class RecipientUnreachable(SendError):
    """This address cannot get messages on this channel, ever: a landline or an invalid
    number for SMS, a number without WhatsApp or outside its 24 hours (Twilio 21614,
    63016...). Another channel may still work."""

    def __init__(self, reason: str):
        super().__init__(reason, retry=False)


class SendOutcomeUnknown(SendError):
    """The call failed after the request left (timeout, dropped connection): the provider
    may have accepted the message. Ask it before sending again."""

    def __init__(self, reason: str):
        super().__init__(reason, retry=True)
