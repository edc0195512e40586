"""The page/fragment rule (okmarts.web.View): every fragment an htmx request can get is part of
the page a plain request gets, so the two renderings can never drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, meta

import okmarts.controllers  # noqa: F401  (the controllers declare their Views on import)
from okmarts.app import create_app
from okmarts.settings import PACKAGE_DIR
from okmarts.web import VIEWS, View

ENV = Environment(loader=FileSystemLoader(str(PACKAGE_DIR)), extensions=["jinja2.ext.i18n"])


def source(template: str) -> str:
    return Path(PACKAGE_DIR, template).read_text(encoding="utf-8")


def page_tree(template: str) -> set[str]:
    """The template and every template it extends or includes, however deep."""
    seen: set[str] = set()
    todo = [template]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(
            found
            for found in meta.find_referenced_templates(ENV.parse(source(name)))
            if found is not None
        )
    return seen


def empty_container(tree: set[str], target: str) -> bool:
    """An element with this id, empty in the page: htmx alone fills it (live search)."""
    pattern = re.compile(rf'<(\w+)[^>]*\bid="{re.escape(target)}"[^>]*>\s*</\1>')
    return any(pattern.search(source(name)) for name in tree)


def views() -> list[View]:
    create_app()  # every controller module imported, as the app runs
    assert VIEWS, "no View registered: the rule is not in use"
    return list(dict.fromkeys(VIEWS))


@pytest.mark.parametrize("view", views(), ids=lambda view: view.page)
def test_each_fragment_is_part_of_its_page(view: View) -> None:
    tree = page_tree(view.page)
    if view.fragment is not None:
        assert view.fragment in tree, f"{view.page} does not include {view.fragment}"
    for target, fragment in view.fragments.items():
        assert any(f'id="{target}"' in source(name) for name in tree), (
            f"no element #{target} in {view.page} for htmx to swap"
        )
        assert fragment in tree or empty_container(tree, target), (
            f"{view.page} neither includes {fragment} nor leaves #{target} for it to fill"
        )


def test_no_controller_chooses_a_template_by_hand() -> None:
    """The choice between page and fragment is made by View only (one rule, one place)."""
    for module in Path(PACKAGE_DIR, "controllers").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert 'getattr(request, "htmx"' not in text, module.name
        assert "htmx.target" not in text, module.name
        assert "form_page(" not in text, module.name
        assert "request: Request" not in text, f"{module.name}: handlers take HTMXRequest"
