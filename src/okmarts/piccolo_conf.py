"""Piccolo's configuration: the engine comes from OKMARTS_DATABASE_URL (SQLite by default)."""

import os

from piccolo.conf.apps import AppRegistry

from okmarts.db import engine_from_url
from okmarts.settings import database_url_from_env

DB = engine_from_url(database_url_from_env(os.environ))

APP_REGISTRY = AppRegistry(
    apps=[
        "okmarts.tables.piccolo_app",
        # Staff (Piccolo Admin) users and their sessions: separate from shoppers' accounts.
        "piccolo.apps.user.piccolo_app",
        "piccolo_api.session_auth.piccolo_app",
    ]
)
