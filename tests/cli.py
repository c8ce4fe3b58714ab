"""Running the installed `voorzorg` command against a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VOORZORG = str(Path(sys.executable).parent / "voorzorg")
EXAMPLES = Path(__file__).parent.parent / "examples"
NOW = "2026-12-01T09:30:00+01:00"


def voorzorg(db: Path, *args: str, stdin: str = "", env: dict | None = None):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VOORZORG_", "TWILIO_", "TELEGRAM_", "SMTP_"))
    }
    environment.update(env or {})
    return subprocess.run(
        [VOORZORG, "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
