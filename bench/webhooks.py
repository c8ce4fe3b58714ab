"""Signed Twilio webhooks per second: a bare endpoint and Voorzorg, side by side.

    .venv/bin/python bench/webhooks.py [--duration 10] [--connections 8] [--threads 2]
                                       [--cases 10000] [--only bare|voorzorg] [--json]

Needs wrk (`bin/setup bench` installs it). One run measures, with the same load generator,
the same distinct pre-signed requests and the same uvicorn settings:

- bare: bench/bare.py, a Starlette endpoint that parses the form and checks the
  signature, nothing else: the floor any correct receiver pays;
- Voorzorg: `voorzorg serve` as a real process (Twilio on, wired to the fake provider
  `bot.channels.fakes.FakeTwilio`; durable SQLite: WAL, synchronous=FULL) after importing
  `--cases` cases, one phone number each. Acknowledged = answered 2xx (the arrival is
  committed); processed = the conversation turn committed and its reply queued.

Afterwards it reads the database (read-only) and counts what was lost (acknowledged but
never processed, or processed without a reply) and duplicated (more replies than such a
turn gives, or an arrival processed twice). Loopback only; the load generator shares the
machine's cores with the server, so compare figures from the same machine and run.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.starter import ACCOUNT_SID, AUTH_TOKEN, TWILIO_FROM, Bare, Voorzorg, phone
from bot.channels.fakes import FakeTwilio

LUA = Path(__file__).with_name("webhooks.lua")
PATH = "/webhooks/twilio"


def write_pool(path: Path, public_url: str, size: int, cases: int, body: str) -> None:
    """`size` distinct signed requests, "<signature> <form>" a line; request i comes
    from case i % cases, so each case's messages are spread evenly over the run."""
    url = public_url + PATH
    run = secrets.token_hex(4)  # MessageSids never repeat across runs either
    key = hmac.new(AUTH_TOKEN.encode(), digestmod=hashlib.sha1)
    validator = RequestValidator(AUTH_TOKEN)
    with path.open("w") as out:
        for i in range(size):
            params = {
                "AccountSid": ACCOUNT_SID,
                "Body": body,
                "From": phone(i % cases),
                "MessageSid": f"SM{run}{i:024x}",
                "NumMedia": "0",
                "To": TWILIO_FROM,
            }
            mac = key.copy()  # Twilio's scheme: HMAC-SHA1 over url + sorted key+value
            mac.update((url + "".join(k + v for k, v in sorted(params.items()))).encode())
            signature = base64.b64encode(mac.digest()).decode()
            if i == 0:
                assert signature == validator.compute_signature(url, params)
            out.write(f"{signature} {urlencode(params)}\n")


@dataclass
class Load:
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    pool: int
    exhausted: bool
    server_cpu: float = 0.0  # CPU seconds the server used under this load (and its drain)
    web_cpu: float = 0.0  # Voorzorg: CPU seconds of the web process under the load
    worker_cpu: float = 0.0  # Voorzorg: CPU seconds of the worker, load and drain

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def acknowledged(self) -> int:
        return self.requests - self.non2xx


def run_wrk(url: str, pool: Path, args: argparse.Namespace) -> Load:
    argv = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    argv += ["-d", f"{args.duration}s", "--timeout", "10s", "-s", str(LUA), url]
    argv += ["--", str(pool), str(args.threads)]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=args.duration + 120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    found = [line for line in output.splitlines() if line.startswith("WRK ")]
    if process.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
    r = json.loads(found[-1].removeprefix("WRK "))
    return Load(
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        non2xx=r["non2xx"],
        socket_errors=r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"],
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        pool=r["pool"],
        exhausted=r["exhausted_threads"] > 0,
    )


@dataclass
class Outcome:
    stored: int
    processed: int
    processed_rate: float
    backlog_at_end: int  # stored but not yet processed when the load stopped
    drain_seconds: float
    not_stored: int  # acknowledged, yet no row
    unprocessed: int
    failed: int
    unidentified: int
    no_reply: int
    extra_replies: int
    replies: int
    outbox: dict[str, int]
    per_case: dict[int, int]  # arrivals per case -> cases

    @property
    def lost(self) -> int:
        return self.not_stored + self.unprocessed + self.failed + self.unidentified + self.no_reply


def _time(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp).timestamp()


def drain(service: Voorzorg, timeout: float) -> float:
    """Seconds until every stored arrival is processed (or `timeout` passed): nothing is
    left in the inbox (the worker empties it once it has taken everything in) and nothing
    waits for a retry."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        ((pending,),) = service.query("SELECT count(*) FROM inbound WHERE processed_at IS NULL")
        ((waiting,),) = service.query("SELECT count(*) FROM arrivals", inbox=True)
        if not pending and not waiting:
            break
        time.sleep(0.1)
    return time.monotonic() - started


def warm_up(service: Voorzorg, cases: int) -> tuple[int, int]:
    """One message from an extra case, processed before the load: `serve` loads and
    compiles the script version on its first turn. Returns the last inbound and outbox
    ids before the load, which the accounting starts after."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "Body": "ja",
        "From": phone(cases),
        "MessageSid": "SM" + secrets.token_hex(16),
        "NumMedia": "0",
        "To": TWILIO_FROM,
    }
    url = service.url + PATH
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    httpx.post(
        url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
    ).raise_for_status()
    drain(service, 30)
    ((inbound,),) = service.query("SELECT coalesce(max(id), 0) FROM inbound")
    ((outbox,),) = service.query("SELECT coalesce(max(id), 0) FROM outbox")
    return inbound, outbox


def account(
    service: Voorzorg, load: Load, before: tuple[int, int], load_end: float, drained: float
) -> Outcome:
    """What became of every acknowledged request, from the database alone."""
    first_inbound, first_outbox = before
    q = service.query
    ((stored, unprocessed, failed, unidentified),) = q(
        """SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL),
                  count(*) FILTER (WHERE error IS NOT NULL),
                  count(*) FILTER (WHERE processed_at IS NOT NULL AND error IS NULL
                                   AND case_id IS NULL)
           FROM inbound WHERE id > ?""",
        first_inbound,
    )
    ((processed, first_in, last_done),) = q(
        """SELECT count(*), min(received_at), max(processed_at) FROM inbound
           WHERE id > ? AND processed_at IS NOT NULL AND error IS NULL""",
        first_inbound,
    )
    ((backlog,),) = q(
        "SELECT count(*) FROM inbound WHERE id > ? AND (processed_at IS NULL OR processed_at > ?)",
        first_inbound,
        dt.datetime.fromtimestamp(load_end, dt.UTC).isoformat(),
    )
    span = _time(last_done) - _time(first_in) if processed else 0.0
    arrivals = dict(
        q(
            "SELECT case_id, count(*) FROM inbound WHERE id > ? AND error IS NULL "
            "AND case_id IS NOT NULL AND processed_at IS NOT NULL GROUP BY case_id",
            first_inbound,
        )
    )
    replies = dict(
        q(
            "SELECT case_id, count(*) FROM outbox WHERE id > ? AND audience = 'person' "
            "AND case_id IS NOT NULL GROUP BY case_id",
            first_outbox,
        )
    )
    # Every case answers the same text from the same state, so cases that sent the same
    # number of messages must have the same number of replies: the most common count is
    # what such a turn gives; fewer is a lost reply, more a duplicate.
    by_count: dict[int, Counter] = {}
    for case_id, n in arrivals.items():
        by_count.setdefault(n, Counter())[replies.get(case_id, 0)] += 1
    expected = {n: max(c.most_common(1)[0][0], 1) for n, c in by_count.items()}
    no_reply = sum(max(0, expected[n] - replies.get(case_id, 0)) for case_id, n in arrivals.items())
    extra = sum(max(0, replies.get(case_id, 0) - expected[n]) for case_id, n in arrivals.items())
    extra += sum(r for case_id, r in replies.items() if case_id not in arrivals)
    outbox = dict(
        q("SELECT status, count(*) FROM outbox WHERE id > ? GROUP BY status", first_outbox)
    )
    return Outcome(
        stored=stored,
        processed=processed,
        processed_rate=processed / span if span > 0 else 0.0,
        backlog_at_end=backlog,
        drain_seconds=drained,
        not_stored=max(0, load.acknowledged - stored),
        unprocessed=unprocessed,
        failed=failed,
        unidentified=unidentified,
        no_reply=no_reply,
        extra_replies=extra,
        replies=sum(replies.values()),
        outbox=outbox,
        per_case=dict(sorted(Counter(arrivals.values()).items())),
    )


def sample(service: Voorzorg, args: argparse.Namespace) -> subprocess.Popen:
    """py-spy (pip install py-spy) samples `serve` during the load: collapsed stacks, one
    line per stack with its count, for flamegraph.pl or speedscope."""
    argv = ["py-spy", "record", "--pid", str(service.process.pid), "--rate", "200"]
    argv += ["--duration", str(args.duration), "--format", "raw", "--output", args.py_spy]
    argv += ["--nonblocking", "--threads", "--subprocesses"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop_on_sigterm() -> None:
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def bench(args: argparse.Namespace) -> dict:
    result: dict = {"settings": vars(args).copy()}
    pool_size = int(args.duration * args.max_rate)
    with tempfile.TemporaryDirectory(prefix="voorzorg-bench-") as tmp, FakeTwilio() as twilio:
        work = Path(tmp)
        env = {"VOORZORG_SMS_PER_SECOND": str(args.sms_per_second)}
        env.update(kv.split("=", 1) for kv in args.serve_env)
        service = Voorzorg(work, twilio.url, **env)
        bare = Bare(work)
        try:
            if args.only != "bare":
                print(f"importing {args.cases:,} cases ...", flush=True)
                result["import_seconds"] = service.import_cases(args.cases + 1)  # + warm-up
            print(f"signing {pool_size:,} distinct requests per endpoint ...", flush=True)
            if args.only != "voorzorg":
                write_pool(work / "bare.pool", bare.url, pool_size, args.cases, args.body)
                bare.start()
                print(f"bare endpoint: {args.duration} s of load ...", flush=True)
                cpu = bare.cpu_seconds()
                result["bare"] = run_wrk(bare.url, work / "bare.pool", args)
                result["bare"].server_cpu = bare.cpu_seconds() - cpu
                bare.stop()
            if args.only != "bare":
                write_pool(work / "serve.pool", service.url, pool_size, args.cases, args.body)
                service.start()
                before = warm_up(service, args.cases)
                print(f"voorzorg serve: {args.duration} s of load ...", flush=True)
                web, worker = service.cpu_split()
                spy = sample(service, args) if args.py_spy else None
                load = run_wrk(service.url, work / "serve.pool", args)
                load.web_cpu = service.cpu_split()[0] - web
                if spy is not None:
                    spy.wait(timeout=60)
                load_end = time.time()
                result["voorzorg"] = load
                drained = drain(service, args.drain_timeout)
                web_then, worker_then = service.cpu_split()
                load.server_cpu = web_then + worker_then - web - worker
                load.worker_cpu = worker_then - worker
                code = service.stop()
                if code not in (0, None):
                    print(f"voorzorg serve exited with {code}:\n{service.tail()}")
                result["outcome"] = account(service, load, before, load_end, drained)
                result["fake_twilio_messages"] = len(twilio.messages)
        finally:
            bare.stop()
            service.stop()
    return result


def report(args: argparse.Namespace, r: dict) -> None:
    print()
    line = f"{args.connections} connections, {args.threads} wrk threads, {args.duration} s each"
    if "import_seconds" in r:
        line += f"; {args.cases:,} cases (imported in {r['import_seconds']:.1f} s)"
    print(line)
    print(
        f"{'':28}{'req/s':>9}{'p50':>10}{'p99':>10}{'non-2xx':>9}{'errors':>8}"
        f"{'server CPU/msg':>16}"
    )

    def row(name: str, load: Load, per: int) -> None:
        print(
            f"{name:28}{load.rate:>9,.0f}{load.p50_ms:>8.1f}ms{load.p99_ms:>8.1f}ms"
            f"{load.non2xx:>9,}{load.socket_errors:>8,}"
            f"{load.server_cpu / max(per, 1) * 1e6:>14,.0f}us"
        )
        if load.exhausted:
            print(f"  !! ran out of the {load.pool:,} distinct requests: raise --max-rate")

    if "bare" in r:
        row("bare (parse + signature)", r["bare"], r["bare"].requests)
    if "voorzorg" in r:
        o: Outcome = r["outcome"]
        row("Voorzorg, acknowledged", r["voorzorg"], o.processed)
        print(
            f"{'Voorzorg, processed':28}{o.processed_rate:>9,.0f}   ({o.processed:,} turns; "
            f"{o.backlog_at_end:,} still queued when the load stopped, "
            f"drained in {o.drain_seconds:.1f} s)"
        )
        if "bare" in r:
            print(f"{'ratio processed/bare':28}{o.processed_rate / r['bare'].rate:>9.2f}")
        print(
            f"lost {o.lost:,} (acknowledged but not stored {o.not_stored:,}, unprocessed "
            f"{o.unprocessed:,}, failed {o.failed:,}, not recognised {o.unidentified:,}, "
            f"no reply {o.no_reply:,}); duplicated {o.extra_replies:,} (replies beyond one turn's)"
        )
        per_case = ", ".join(f"{cases:,} x {n}" for n, cases in o.per_case.items())
        outbox = ", ".join(f"{n:,} {status}" for status, n in sorted(o.outbox.items()))
        print(f"messages per case: {per_case or 'none'}")
        print("server CPU/msg: the server's CPU time over the load (Voorzorg: until drained)")
        load = r["voorzorg"]
        print(
            f"  of which the web process {load.web_cpu / max(load.requests, 1) * 1e6:,.0f}us "
            f"per acknowledgement ({load.web_cpu / load.seconds:.2f} cores under the load), "
            f"the worker {load.worker_cpu / max(o.processed, 1) * 1e6:,.0f}us per turn"
        )
        print(
            f"replies queued {o.replies:,} ({outbox}); "
            f"fake Twilio received {r['fake_twilio_messages']:,}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--cases", type=int, default=10_000, help="cases (senders) to import")
    parser.add_argument("--body", default="ja", help="what every message says")
    parser.add_argument("--only", choices=["bare", "voorzorg"], help="measure one side only")
    parser.add_argument(
        "--max-rate",
        type=int,
        default=15_000,
        help="distinct requests signed per second of --duration (the pool must outlast wrk)",
    )
    parser.add_argument("--drain-timeout", type=float, default=120, help="seconds")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--sms-per-second",
        type=float,
        default=10.0,
        help="the sender's pace (VOORZORG_SMS_PER_SECOND, the product's default 10); replies "
        "go to the fake Twilio. The sender's own speed is bench/scheduler.py's figure; a high "
        "pace here makes the worker send while it processes",
    )
    parser.add_argument(
        "--serve-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra environment variable for `voorzorg serve` (repeatable)",
    )
    parser.add_argument(
        "--py-spy", metavar="FILE", help="sample `serve` under load into FILE (collapsed stacks)"
    )
    args = parser.parse_args()
    if args.connections % args.threads:
        parser.error("--connections must be a multiple of --threads")
    if not shutil.which("wrk"):
        print("wrk is missing: bin/setup bench (or: sudo apt-get install wrk)", file=sys.stderr)
        return 2
    _stop_on_sigterm()
    try:
        result = bench(args)
    except KeyboardInterrupt:
        print("interrupted; servers stopped, temporary files removed", file=sys.stderr)
        return 130
    report(args, result)
    if args.json:
        print(json.dumps(result, default=lambda o: {**o.__dict__}, sort_keys=True))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
