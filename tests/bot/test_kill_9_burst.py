"""kill -9 in the middle of a burst of signed webhooks: after a restart, every acknowledged
message is answered exactly once (counted at the fake Twilio, per recipient)."""

import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.bot.inprocess import ACCOUNT
from tests.service import Running

BURST = 240
KILL_AFTER = 120  # acknowledgements


def people() -> list[tuple[str, str]]:
    """(number, MessageSid): each an unknown number, which gets exactly one answer."""
    return [(f"+3161{n:07d}", f"SM{n:032x}") for n in range(1, BURST + 1)]


def test_kill_9_mid_burst_loses_nothing_and_sends_nothing_twice(tmp_path, twilio):
    service = Running(tmp_path, twilio, None, VOORZORG_SMS_PER_SECOND="400").start()
    acknowledged: set[str] = set()
    lock = threading.Lock()
    killed = threading.Event()

    def post(person: tuple[str, str]) -> None:
        number, sid = person
        try:
            response = service.sms(number, "hallo", sid, AccountSid=ACCOUNT)
        except httpx.HTTPError:
            return  # the server is gone: not acknowledged, Twilio would retry
        if response.status_code == 200:
            with lock:
                acknowledged.add(number)
                if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    service.process.send_signal(signal.SIGKILL)

    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(post, people()))
        assert killed.is_set()
        service.process.wait(timeout=20)
        in_flight = len(twilio.messages)
        service.start()
        for person in people():  # what was not acknowledged, Twilio delivers again
            if person[0] not in acknowledged:
                post(person)
        assert len(acknowledged) == BURST
        deadline = time.monotonic() + 60
        while len(twilio.messages) < BURST and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)  # anything sent twice would arrive by now
        answers = Counter(m["To"] for m in twilio.messages)
        duplicates = {to: n for to, n in answers.items() if n > 1}
        lost = [number for number, _ in people() if answers[number] == 0]
        settled = service.log.read_text().count("the provider had accepted it")
        print(
            f"acknowledged {len(acknowledged)}, answered before the kill {in_flight}, "
            f"found accepted at Twilio after the restart {settled}, "
            f"duplicates {len(duplicates)}, lost {len(lost)}"
        )
        assert duplicates == {}
        assert lost == []
        assert service.query("SELECT count(*) FROM outbox WHERE status != 'queued'") == [(0,)]
    finally:
        if service.process and service.process.poll() is None:
            service.stop()
