"""`serve` runs conversation turns in a worker process: it is restarted when it dies, it
dies with the web process, and a signal to the whole process group loses nothing."""

import os
import signal
import time
from pathlib import Path

STRANGER = "+31611112222"
UNKNOWN = "Voorzorg: wij kennen dit nummer nog niet."


def gone(pid: int, timeout: float = 20.0) -> bool:
    """Whether the process exited (a zombie counts: it no longer runs) within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_turns_run_in_a_worker_that_is_started_again_when_it_dies(process, twilio):
    [worker] = process.workers()
    assert process.sms(STRANGER, "hallo", "SM-before").status_code == 200
    assert twilio.wait_for(1)[0]["Body"].startswith(UNKNOWN)

    os.kill(worker, signal.SIGKILL)
    assert gone(worker)
    assert process.sms(STRANGER, "nog een keer", "SM-after").status_code == 200  # still acked
    assert process.wait_processed(timeout=20)
    assert len(twilio.wait_for(2)) == 2
    [replacement] = process.workers()
    assert replacement != worker
    assert "the worker process exited" in process.log.read_text()
    assert process.http.get("/healthz").status_code == 200


def test_the_worker_exits_when_the_web_process_is_killed(process):
    [worker] = process.workers()
    process.stop(signal.SIGKILL)
    assert gone(worker), "an orphaned worker would keep the database busy"


def test_sigterm_to_the_whole_group_finishes_what_was_acknowledged(process, twilio):
    for n in range(20):
        assert process.sms(f"+316111100{n:02d}", "hallo", f"SM-group-{n}").status_code == 200
    [worker] = process.workers()
    assert process.stop(signal.SIGTERM, group=True) in (0, -signal.SIGTERM)
    assert gone(worker)
    assert process.wait_processed(timeout=0)  # nothing acknowledged was left unprocessed
    assert process.query("SELECT count(*) FROM inbound WHERE processed_at IS NOT NULL") == [(20,)]
    assert "worker stopped" in process.log.read_text()
