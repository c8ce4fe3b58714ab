"""Real server processes for the benchmarks: `voorzorg serve` and the bare endpoint.

Both run as child processes in their own session (a Ctrl-C in the terminal reaches only
the bench, which then stops them), on 127.0.0.1, logging to a file in the bench's
temporary directory. Nothing here imports the product: the bench drives it like an
operator would, through the `voorzorg` command and HTTP.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.inbox import inbox_path  # noqa: E402

EXAMPLES = ROOT / "examples"
ACCOUNT_SID = "AC" + "0" * 32  # the fake Twilio account
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
TWILIO_FROM = "+3197010000000"
SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"
HEADER = "reference,first_name,phone,municipality,report_date,prison,language"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def phone(i: int) -> str:
    """The phone number of the bench's i-th case (a Dutch mobile number)."""
    return f"+316{20000000 + i}"


def voorzorg_command() -> list[str]:
    """The `voorzorg` entry point beside this interpreter, else `python -m bot.cli`."""
    script = Path(sys.executable).parent / "voorzorg"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any Voorzorg or provider settings, plus `extra`."""
    prefixes = ("VOORZORG_", "TWILIO_", "TELEGRAM_", "SMTP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


class _Child:
    """A server in a child process; `stop()` is safe to call more than once."""

    def __init__(self, workdir: Path, name: str):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def _spawn(self, argv: list[str], env: dict[str, str], ready: str) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=self.workdir,  # no stray .env from the caller's directory
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited early:\n{self.tail()}")
            try:
                if httpx.get(self.url + ready, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{argv[0]} did not come up:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far: all threads of it and of its
        child processes (`serve`'s worker), Linux."""
        return sum(self.cpu_split())

    def cpu_split(self) -> tuple[float, float]:
        """`cpu_seconds` in two: the server process itself (for `serve`: the web), and its
        child processes (`serve`'s worker)."""
        if self.process is None:
            return 0.0, 0.0
        own, *children = _family(self.process.pid)
        return _cpu_of(own), sum(_cpu_of(pid) for pid in children)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (graceful: `serve` finishes what it acknowledged), SIGKILL if it hangs.

        Returns 0 for a clean exit (uvicorn re-raises the SIGTERM after shutting down)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()
        return 0 if code == -signal.SIGTERM else code


class Bare(_Child):
    """bench/bare.py: parse the Twilio form and check its signature, nothing else."""

    def __init__(self, workdir: Path):
        super().__init__(workdir, "bare")

    def start(self) -> Bare:
        argv = [sys.executable, str(Path(__file__).with_name("bare.py"))]
        argv += ["--port", str(self.port), "--auth-token", AUTH_TOKEN, "--public-url", self.url]
        self._spawn(argv, _clean_env(), "/healthz")
        return self


def _family(pid: int) -> list[int]:
    """The process and its descendants, from /proc (Linux)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Voorzorg(_Child):
    """`voorzorg serve` with Twilio pointed at a fake, on its own SQLite file."""

    def __init__(self, workdir: Path, twilio_url: str, **env: str):
        super().__init__(workdir, "serve")
        self.db = workdir / "voorzorg.db"
        self.env = _clean_env(
            VOORZORG_SECRET_KEY=SECRET_KEY,
            VOORZORG_DB=str(self.db),
            VOORZORG_PUBLIC_URL=self.url,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_FROM=TWILIO_FROM,
            TWILIO_API_URL=twilio_url,
            VOORZORG_SMS_PER_SECOND="100000",
        )
        self.env.update(env)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [*voorzorg_command(), "--db", str(self.db), *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"voorzorg {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def import_cases(self, count: int) -> float:
        """Organisations from the examples, then `count` cases (one phone each); seconds.

        Imported two weeks ahead with a report date two months ahead, so no timer falls
        due while the bench runs: the only messages queued are the replies."""
        self.cli("org", "load", str(EXAMPLES / "organisations.yaml"))
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        report = (now + dt.timedelta(days=60)).date().isoformat()
        lines = [HEADER] + [
            f"BENCH-{i:07d},Naam,{phone(i)},Venlo,{report},,nl" for i in range(count)
        ]
        cohort = self.workdir / "cohort.csv"
        cohort.write_text("\n".join(lines) + "\n")
        started = time.perf_counter()
        self.cli("import", str(cohort), "--now", (now + dt.timedelta(days=14)).isoformat())
        return time.perf_counter() - started

    def start(self) -> Voorzorg:
        self._spawn([*voorzorg_command(), "serve", "--port", str(self.port)], self.env, "/healthz")
        if httpx.get(self.url + "/healthz", timeout=5).json().get("sandbox", False):
            self.stop()
            raise RuntimeError("serve started as a sandbox: Twilio is not configured")
        return self

    def query(self, sql: str, *params, inbox: bool = False) -> list[tuple]:
        """Read-only, beside the running server (WAL: it never blocks the writer); `inbox`
        reads the inbox file instead of the database."""
        path = inbox_path(self.db) if inbox else self.db
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
