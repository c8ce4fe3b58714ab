"""Script versions on a real SQLite file: seeded, drafted, saved without clashes, published."""

import datetime as dt

import pytest

from storage import scripts

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def seeded(db, intake):
    await scripts.seed(db, {"intake": intake}, NOW)
    return db


async def statuses(db) -> list[tuple[int, str]]:
    return [(r["version"], r["status"]) for r in await scripts.versions(db)]


async def test_the_file_is_the_first_published_version_and_seeding_again_adds_nothing(
    seeded, intake
):
    await scripts.seed(seeded, {"intake": intake}, NOW)
    assert await statuses(seeded) == [(intake.version, "published")]
    published = await scripts.published(seeded, "intake")
    assert (published.id, published.version, published.source) == (
        "intake",
        intake.version,
        intake.source,
    )
    assert await scripts.published(seeded, "nothing") is None


async def test_a_draft_is_saved_only_over_the_revision_it_was_opened_at(seeded, intake):
    draft = await scripts.draft(seeded, "intake", "admin@example.org", NOW)
    assert (draft["version"], draft["status"]) == (intake.version + 1, "draft")
    assert (await scripts.draft(seeded, "intake", "other@example.org", NOW))["id"] == draft["id"]
    edited = intake.source.replace("Eerst een vraag.", "Een vraag.")
    revision = await scripts.save_draft(
        seeded, "intake", edited, draft["revision"], "admin@example.org", NOW
    )
    assert revision == draft["revision"] + 1
    with pytest.raises(scripts.Conflict):
        await scripts.save_draft(seeded, "intake", "x", draft["revision"], "other@example.org", NOW)


async def test_publishing_retires_the_old_version_and_a_rollback_publishes_a_copy(seeded, intake):
    first = intake.version
    await scripts.draft(seeded, "intake", "admin@example.org", NOW)
    assert await scripts.publish(seeded, "intake", None, "admin@example.org", NOW) == first + 1
    assert await statuses(seeded) == [(first + 1, "published"), (first, "retired")]
    with pytest.raises(LookupError):
        await scripts.publish(seeded, "intake", None, "admin@example.org", NOW)  # no draft
    assert await scripts.publish(seeded, "intake", first, "admin@example.org", NOW) == first + 2
    assert (await scripts.published(seeded, "intake")).source == intake.source
    assert (await scripts.version(seeded, "intake", first + 1)).version == first + 1
    with pytest.raises(LookupError):
        await scripts.publish(seeded, "intake", 99, "admin@example.org", NOW)
