"""`voorzorg import` shows a progress bar on a terminal, and nothing of it anywhere else."""

import contextlib
import io
import os
import pty
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

from bot.cli import main
from bot.progress import ProgressBar, on_terminal
from tests.cli import EXAMPLES, NOW, command, environment, prepare, voorzorg

HEADER = "reference,first_name,phone,municipality,report_date,prison,language\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_only_on_a_terminal():
    assert on_terminal(io.StringIO(), "cases") is None
    assert isinstance(on_terminal(Terminal(), "cases"), ProgressBar)


def test_the_bar_is_redrawn_at_most_ten_times_a_second_and_at_each_stages_end():
    moments = iter([0.0, 0.05, 0.2, 0.21, 0.22, 0.23])
    stream = io.StringIO()
    bar = ProgressBar(stream, "cases", clock=lambda: next(moments))
    bar("checking", 10, 100)  # drawn: the first
    bar("checking", 20, 100)  # not: too soon
    bar("checking", 30, 100)  # drawn
    bar("checking", 100, 100)  # drawn: the stage's end
    bar("saving", 1, 4)  # drawn: a new stage
    bar("saving", 4, 4)  # drawn: the end
    bar.close()
    frames = stream.getvalue().split("\r\x1b[K")
    assert frames[1:-1] == [
        "checking cases [###...........................]  10% 10/100",
        "checking cases [#########.....................]  30% 30/100",
        "checking cases [##############################] 100% 100/100",
        "saving cases [#######.......................]  25% 1/4",
        "saving cases [##############################] 100% 4/4",
    ]
    assert frames[-1] == ""  # erased at the end


def _setup(tmp_path):
    db = tmp_path / "var" / "voorzorg.db"
    prepare(db, (command("org", "load", str(EXAMPLES / "organisations.yaml")),))
    cohort = tmp_path / "cohort.csv"
    rows = [f"ZM-{n:05d},Sam,+316{20000000 + n},Venlo,2027-01-14,,nl\n" for n in range(50)]
    cohort.write_text(HEADER + "".join(rows))
    return db, cohort


def test_import_on_a_terminal_shows_the_bar_and_prints_the_same_summary(tmp_path):
    db, cohort = _setup(tmp_path)
    parent, child = pty.openpty()
    out = io.StringIO()
    try:
        with (
            open(child, "w", encoding="utf-8") as terminal,  # closes `child`
            mock.patch.dict(os.environ, environment(), clear=True),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(terminal),
            ThreadPoolExecutor(1) as pool,
        ):
            argv = ["--db", str(db), "import", str(cohort), "--now", NOW]
            assert pool.submit(main, argv).result() == 0
        shown = b""
        while chunk := _read(parent):
            shown += chunk
    finally:
        os.close(parent)
    assert out.getvalue() == "50 cases: 50 created, 0 updated, 0 unchanged\n"
    assert b"checking cases [##############################] 100% 51/51" in shown  # lines
    assert b"saving cases [##############################] 100% 50/50" in shown  # cases
    assert shown.endswith(b"\r\x1b[K")  # erased: what comes next starts on a clean line


def _read(fd: int) -> bytes:
    """What the terminal shows, piece by piece; b"" once all was read."""
    try:
        return os.read(fd, 4096)
    except OSError:  # the other end is closed and drained
        return b""


def test_import_in_cron_or_ci_prints_no_bar(tmp_path):
    db, cohort = _setup(tmp_path)
    done = voorzorg(db, "import", str(cohort), "--now", NOW)  # stderr is not a terminal
    assert done.returncode == 0, done.stderr
    assert done.stdout == "50 cases: 50 created, 0 updated, 0 unchanged\n"
    assert done.stderr == ""
