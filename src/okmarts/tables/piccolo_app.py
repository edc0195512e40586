"""The Piccolo app holding every Okmarts table and its migrations."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="okmarts",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "migrations"),
    table_classes=table_finder(
        modules=[
            "okmarts.tables.catalog",
            "okmarts.tables.accounts",
            "okmarts.tables.messaging",
            "okmarts.tables.checkout",
            "okmarts.tables.reviews",
            "okmarts.tables.privacy",
            "okmarts.tables.recommendations",
        ],
        exclude_imported=True,
    ),
    migration_dependencies=[],
    commands=[],
)
