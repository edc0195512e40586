"""The README stays true about what the shop offers."""

from __future__ import annotations

from babel import Locale

from okmarts.completion import offered_languages
from okmarts.settings import PROJECT_DIR, Settings

README = (PROJECT_DIR / "README.md").read_text()


def test_the_readme_names_every_language_the_shop_offers() -> None:
    offered = offered_languages(PROJECT_DIR / "locales", Settings.language_min_completion)
    assert {"zh_Hans", "es"} <= set(offered)
    stack = README.split("Babel catalogs for languages", 1)[1].split(")", 1)[0]
    for code in ["en", *offered]:
        name = Locale.parse(code).get_language_name("en")
        assert name in stack, f"README does not say the shop offers {name}"
