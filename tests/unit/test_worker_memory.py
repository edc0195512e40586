"""A worker loads what serving pages needs, not the libraries of rare work (issue 15: memory
per worker): fpdf2 and its fontTools are imported when a PDF is made, authlib and joserfc (with
cryptography) when someone signs in with another account."""

from __future__ import annotations

import subprocess
import sys

HEAVY_AND_RARE = ("fpdf", "fontTools", "pint", "authlib", "joserfc")


def test_the_app_serves_without_loading_the_libraries_of_rare_work() -> None:
    script = (
        "import sys, tempfile\n"
        "from pathlib import Path\n"
        "from okmarts.app import create_app\n"
        "from okmarts.settings import Settings\n"
        "data = Path(tempfile.mkdtemp())\n"
        "create_app(Settings(database_url=f'sqlite:///{data}/db.sqlite3', data_dir=data,"
        " secret_key='x' * 40, mail_sender_enabled=False, payment_sweep_seconds=0))\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY_AND_RARE!r})))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert loaded.stdout.strip().splitlines()[-1] == "[]", loaded.stdout
