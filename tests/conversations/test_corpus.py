"""The labelled corpus of replies: no answer recorded that was not given, few ask-backs."""

from conversations.corpus import DEFAULT_CORPUS, figures, load_corpus, main, run

KINDS = ("identity_check", "consent", "identity", "housing", "income", "debts", "care")


def test_the_corpus_is_large_and_covers_every_question_kind():
    cases = load_corpus(DEFAULT_CORPUS)
    assert len(cases) >= 400
    kinds = {c.kind for c in cases}
    assert set(KINDS) | {"network", "children", "yes_no", "booking", "free_text"} <= kinds
    languages = {c.language for c in cases}
    assert {"nl", "en", "pl", "tr", "ar"} <= languages


def test_no_wrong_records_and_at_least_90_percent_resolved(intake):
    by_kind = figures(run(intake, load_corpus(DEFAULT_CORPUS)))
    total = by_kind["all"]
    wrong = [
        f"{r.case.kind}: {r.case.reply!r} -> {r.reading}" for r in total.misread if r.wrong_record
    ]
    assert wrong == []
    assert total.resolved_share >= 0.9
    must_ask_but_recorded = [r for r in total.misread if r.case.label == "ask"]
    assert must_ask_but_recorded == []


def test_the_command_prints_the_figures(capsys):
    assert main([str(DEFAULT_CORPUS)]) == 0
    out = capsys.readouterr().out
    assert "wrong records: 0" in out and "resolved without asking back" in out


def test_the_command_says_so_when_the_file_is_missing(capsys, tmp_path):
    assert main([str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read corpus" in capsys.readouterr().err
