"""Hand-written: one vote per person per review, and the indexes of the product page's lists."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T13:17:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique vote per account and review; review and question list indexes"

INDEXES = [
    # One vote per person per review: concurrent double clicks can't add a second.
    "CREATE UNIQUE INDEX IF NOT EXISTS review_vote_review_account ON review_vote (review, account)",
    # The product page: approved reviews by each sort, and answered questions.
    "CREATE INDEX IF NOT EXISTS review_product_status_score"
    " ON review (product, status, helpful_score)",
    "CREATE INDEX IF NOT EXISTS review_product_status_created"
    " ON review (product, status, created_at)",
    "CREATE INDEX IF NOT EXISTS review_product_status_rating ON review (product, status, rating)",
    "CREATE INDEX IF NOT EXISTS question_product_status ON question (product, status, answered_at)",
    # The moderation queue: pending first, then by date.
    "CREATE INDEX IF NOT EXISTS review_status_created ON review (status, created_at)",
    "CREATE INDEX IF NOT EXISTS question_status_created ON question (status, created_at)",
    "CREATE INDEX IF NOT EXISTS moderation_decision_item"
    " ON moderation_decision (item_type, item_id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
