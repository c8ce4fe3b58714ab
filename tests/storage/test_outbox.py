"""The outbox on a real SQLite file: a turn's messages are queued in one statement."""

import datetime as dt
import json

from storage import outbox

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
SAM = "+31622334455"


async def test_a_turns_messages_are_queued_in_order_in_one_statement(db, vault):
    statements: list[str] = []
    async with db.transaction() as tx:
        await tx.set_trace_callback(statements.append)
        ids = await outbox.queue_messages(
            tx,
            vault,
            None,
            "whatsapp",
            "whatsapp:" + SAM,
            [("Dag Sam", ()), ("Klopt dat?", ("Ja", "Nee")), ("Tot ziens", ())],
            NOW,
            purpose="first_contact",
            template_variables={"1": "Sam"},
        )
        await tx.set_trace_callback(None)
    assert len([s for s in statements if s.startswith("INSERT")]) == 1
    assert ids == sorted(ids) and len(set(ids)) == 3
    rows = await db.fetchall("SELECT * FROM outbox ORDER BY id")
    assert [row["id"] for row in rows] == ids
    assert [vault.open(row["body"], "outbox.body") for row in rows] == [
        "Dag Sam",
        "Klopt dat?",
        "Tot ziens",
    ]
    assert [row["purpose"] for row in rows] == ["first_contact", None, None]
    variables = [vault.open(row["template_variables"], "outbox.template_variables") for row in rows]
    assert variables == [json.dumps({"1": "Sam"}), None, None]
    choices = rows[1]["choices"]
    assert json.loads(vault.open(choices, "outbox.choices")) == ["Ja", "Nee"]
    assert {vault.open(row["address"], "outbox.address") for row in rows} == {"whatsapp:" + SAM}
    assert len({row["address_hash"] for row in rows}) == 1
    assert {row["status"] for row in rows} == {"pending"}


async def test_no_messages_queue_nothing(db, vault):
    async with db.transaction() as tx:
        assert await outbox.queue_messages(tx, vault, None, "sms", SAM, [], NOW) == []
    assert await db.fetchall("SELECT id FROM outbox") == []
