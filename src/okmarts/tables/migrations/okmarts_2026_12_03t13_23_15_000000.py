"""Hand-written: typed specs' composite indexes, then the typed values of the catalog so far.

- spec_definition: unique (category, key): one definition per spec of a category.
- product_spec_value (category, key, choice) and (category, key, low): a facet or a filter on
  one spec of a category is one index walk; (base_unit, low): search by a value with a unit
  ("4mm", "24v") across categories.

Then definitions inferred from the products already there, and their typed values
(services.specs keeps them from here on).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T13:23:15:000000"
VERSION = "1.38.0"
DESCRIPTION = "Typed specs: indexes, and the values of the products so far"

STATEMENTS = [
    "CREATE UNIQUE INDEX spec_definition_key ON spec_definition (category, key)",
    "CREATE INDEX product_spec_value_choice ON product_spec_value (category, key, choice)",
    "CREATE INDEX product_spec_value_low ON product_spec_value (category, key, low)",
    "CREATE INDEX product_spec_value_measure ON product_spec_value (base_unit, low)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes_and_values() -> None:
        from okmarts.services import specs

        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)
        await specs.define_missing()
        await specs.index_products()

    manager.add_raw(create_indexes_and_values)
    return manager
