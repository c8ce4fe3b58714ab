"""The script editor lists the translations that still await a reviewer."""

from bot.staff.script_editor import review
from conversations.script import default_scripts_dir


def test_machine_made_translations_are_listed_for_review():
    source = (default_scripts_dir() / "intake.yaml").read_text("utf-8")
    waiting = review(source)["unreviewed"]
    assert set(waiting) == {"pl", "tr", "ar"}  # Dutch and English are reviewed
    assert "texts.help" in waiting["pl"]


def test_a_reviewed_text_leaves_the_list():
    source = (default_scripts_dir() / "intake.yaml").read_text("utf-8")
    before = review(source)["unreviewed"]["pl"]
    lines = source.splitlines()
    # The first Polish draft in the file, marked reviewed: `pl: {draft: "..."}` -> `pl: "..."`.
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("pl: {draft:"))
    lines[at] = lines[at].replace("{draft: ", "", 1).rstrip().removesuffix("}")
    after = review("\n".join(lines))["unreviewed"]["pl"]
    assert len(after) == len(before) - 1


def test_the_checks_speak_the_editors_language():
    source = (default_scripts_dir() / "intake.yaml").read_text("utf-8")
    broken = source.replace("start: welcome", "start: nergens", 1)
    dutch, english = review(broken, "nl"), review(broken, "en")
    assert dutch["errors"][0] == "fout: start: onbekende stap 'nergens'"
    assert english["errors"][0] == "error: start: unknown step 'nergens'"
