"""`voorzorg scripts`: the corpus figures and translations round-tripped through PO files."""

from babel.messages.pofile import read_po

from tests.cli import voorzorg

KEY = {"VOORZORG_SECRET_KEY": "k" * 40}


def test_the_corpus_figures_show_no_wrong_record(tmp_path):
    done = voorzorg(tmp_path / "v.db", "scripts", "corpus", env=KEY)
    assert done.returncode == 0, done.stderr
    header, total = done.stdout.splitlines()[:2]
    assert header.split() == [
        "kind",
        "replies",
        "resolved",
        "asked",
        "back",
        "must",
        "ask",
        "wrong",
    ]
    kind, replies, *_, wrong = total.split()
    assert (kind, wrong) == ("all", "0") and int(replies.replace(",", "")) >= 400


def test_a_reviewed_translation_comes_back_into_the_draft(tmp_path):
    db, po = tmp_path / "v.db", tmp_path / "tr.po"
    exported = voorzorg(db, "scripts", "export-po", "tr", "-o", str(po), env=KEY)
    assert exported.returncode == 0, exported.stderr
    with po.open("rb") as f:
        catalog = read_po(f)
    help_text = next(m for m in catalog if m.context == "texts.help")
    assert help_text.fuzzy  # machine-made drafts are marked for review
    help_text.string = "{{ sender }}: Yardım için MENS yazın."
    help_text.flags.discard("fuzzy")
    from babel.messages.pofile import write_po

    with po.open("wb") as f:
        write_po(f, catalog)
    imported = voorzorg(db, "scripts", "import-po", str(po), env=KEY)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "saved as the draft of intake" in imported.stdout
    again = voorzorg(db, "scripts", "export-po", "tr", "--draft", env=KEY)
    entry = next(m for m in read_po_text(again.stdout) if m.context == "texts.help")
    assert entry.string == "{{ sender }}: Yardım için MENS yazın." and not entry.fuzzy


def read_po_text(text: str):
    import io

    return read_po(io.BytesIO(text.encode("utf-8")))


def test_an_unknown_language_is_refused_in_one_line(tmp_path):
    done = voorzorg(tmp_path / "v.db", "scripts", "export-po", "xx", env=KEY)
    assert done.returncode != 0
    assert done.stderr.strip() == (
        "voorzorg: intake has no language 'xx'; it has nl, en, pl, tr, ar"
    )
