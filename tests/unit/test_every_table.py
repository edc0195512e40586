"""The server binds the same tables Piccolo's app registry knows (without importing it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from okmarts.piccolo_conf import APP_REGISTRY
from okmarts.tables.every_table import every_table


def test_every_table_is_the_registry_s_tables() -> None:
    registered = {
        table
        for app_config in APP_REGISTRY.app_configs.values()
        for table in app_config.table_classes
    }
    assert set(every_table()) == registered


def test_a_worker_does_not_load_the_admin_or_migration_tools(tmp_path: Path) -> None:
    """Piccolo Admin (FastAPI, built at the first /admin request) and black (imported by the
    app registry, for migrations) would cost each worker ~35 MB it never uses for shoppers."""
    script = (
        "import sys; from okmarts.app import create_app; from okmarts.settings import Settings; "
        "create_app(Settings.from_env()); "
        "heavy = {'black', 'fastapi', 'piccolo_admin'}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    env = {
        **os.environ,
        "OKMARTS_DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "OKMARTS_DATA_DIR": str(tmp_path),
        "OKMARTS_SECRET_KEY": "test-secret-key-not-for-production",
    }
    worker = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    assert worker.stdout.strip() == "[]", worker.stdout + worker.stderr
