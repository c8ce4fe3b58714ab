"""Bulk work reads shared things once: an organisation's rules once per tick or import,
never carried over into the next one (an organisation that changes counts at once)."""

from bot.outreach import timeline
from bot.outreach.scheduler import once, reading_once
from tests.world import at, opened

ROWS = "".join(f"ZM-{n},Sam,+3162233445{n},Venlo,2027-01-29,,nl\n" for n in range(6))


async def test_once_reads_a_thing_once_within_a_block_and_again_in_the_next():
    reads: list[str] = []

    async def read() -> int:
        reads.append("read")
        return len(reads)

    with reading_once():
        assert [await once("rules", read), await once("rules", read)] == [1, 1]
    with reading_once():
        assert await once("rules", read) == 2
    assert [await once("rules", read), await once("rules", read)] == [3, 4]  # no block


async def test_a_tick_and_an_import_read_an_organisations_rules_once(tmp_path, monkeypatch):
    reads: list[str] = []
    real = timeline.get_organisation

    async def counted(conn, organisation_id):
        reads.append(organisation_id)
        return await real(conn, organisation_id)

    monkeypatch.setattr(timeline, "get_organisation", counted)
    async with opened(tmp_path) as world:
        await world.cohort(ROWS, at(2026, 12, 14, 9, 30))
        assert reads == ["venlo"]  # six cases planned from one read
        counts = await world.tick(at(2026, 12, 14, 10))
        assert counts[("outreach", "sent")] == 6
        assert reads == ["venlo", "venlo"]  # six first contacts, one read
