"""What only a real `voorzorg serve` process shows: it starts, stops cleanly, survives kill -9.

Everything else about the web app runs in-process (tests/service.py `App`). These run on
the real clock, so they use no cohort (nothing is ever due): a number we do not know gets
exactly one answer.
"""

import signal

STRANGER = "+31611112222"


def test_it_starts_says_where_and_finishes_acknowledged_work_on_sigterm(process, twilio):
    assert f"Uvicorn running on {process.url}" in process.log.read_text()
    health = process.http.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok", "sandbox": False})
    assert process.sms(STRANGER, "hallo", "SM1").status_code == 200
    # uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells why.
    assert process.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    log = process.log.read_text()
    assert "Application shutdown complete" in log and "service stopped" in log
    assert process.wait_processed(timeout=0)


def test_kill_9_after_the_ack_then_restart_processes_exactly_once(process, twilio):
    assert process.sms(STRANGER, "hallo", "SM-crash").status_code == 200
    process.stop(signal.SIGKILL)
    process.start()
    assert process.wait_processed()
    assert process.wait_until("SELECT count(*) FROM outbox", [(1,)]) == [(1,)]
    (answer,) = twilio.wait_for(1)
    assert answer["Body"].startswith("Voorzorg: wij kennen dit nummer nog niet.")
    pending = "SELECT count(*) FROM outbox WHERE status = 'pending'"
    assert process.wait_until(pending, [(0,)]) == [(0,)]  # results are recorded per batch
    assert len(process.stored()) == 1
    assert len(twilio.messages) == 1
