"""Catalog rules: category tree, listing with filters and sorting, product pages, search."""

from __future__ import annotations


def build_search_text(brand_name: str, category_name: str, specs: list[list[str]], description: str = "") -> str:
    """The text indexed beside title and SKU: brand, category and specification values."""
    parts = [brand_name, category_name]
    parts += [f"{key} {value}" for key, value in specs]
    if description:
        parts.append(description)
    return " ".join(part for part in parts if part)
