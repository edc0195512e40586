"""The comparison's rules without a database: the selection, specs aligned by name, differences."""

from __future__ import annotations

from okmarts.services.compare import (
    MAX_ASKED,
    MAX_COMPARED,
    ComparedProduct,
    align_specs,
    compare,
    facts_differ,
    normalise,
    parse_selection,
    part_reference,
)


def product(slug: str, specs: list[list[str]], **changes: object) -> ComparedProduct:
    values: dict[str, object] = {
        "id": abs(hash(slug)) % 10_000,
        "slug": slug,
        "title": slug.title(),
        "sku": slug.upper(),
        "price_minor": 1000,
        "currency": "USD",
        "stock": 50,
        "brand_name": "Festo",
        "category_name": "Sensors",
        "category_slug": "sensors",
        "specs": specs,
    }
    values.update(changes)
    return ComparedProduct(**values)  # type: ignore[arg-type]


def test_selection_keeps_distinct_slugs_in_order_and_skips_blanks() -> None:
    selection = parse_selection(["b", " a ", "", "b", "c", "  "])
    assert selection.slugs == ("b", "a", "c")
    assert selection.duplicates is True
    assert parse_selection(["a", "b"]).duplicates is False


def test_selection_reads_a_bounded_number_of_slugs() -> None:
    selection = parse_selection([f"s{n}" for n in range(MAX_ASKED + 7)])
    assert len(selection.slugs) == MAX_ASKED
    assert selection.unread == 7


def test_values_are_compared_without_case_spaces_or_dash_kinds() -> None:
    assert normalise("24 V DC") == normalise("24v dc") == normalise("24\u00a0V\tDC")
    assert normalise("0\u201310 V") == normalise("0-10 V") == normalise("0\u221210V")
    assert normalise("0\u201110 V") == normalise("0-10 V")  # non-breaking hyphen
    assert normalise("IP67") != normalise("IP65")


def test_specs_align_by_name_shared_first_and_differences_marked() -> None:
    rows = align_specs(
        [
            [["Sensing range", "8 mm"], ["Output", "PNP"], ["Housing", "M18"], ["Voltage", "24 V"]],
            [["Voltage", "24V"], ["Output", "NPN"], ["Sensing range", "8 mm"]],
            [["output", "pnp"], ["Cable", "2 m"], ["Voltage", "24 v"], ["Sensing range", "8 mm"]],
        ]
    )
    keys = [row.key for row in rows]
    # Shared by all three first, in the first product's order; then the rest as they come.
    assert keys == ["Sensing range", "Output", "Voltage", "Housing", "Cable"]
    by_key = {row.key: row for row in rows}
    assert by_key["Sensing range"].differs is False and by_key["Sensing range"].shared
    assert by_key["Voltage"].differs is False  # "24 V", "24V", "24 v" read the same
    assert by_key["Output"].differs is True  # PNP, NPN, pnp: one differs
    assert by_key["Output"].values == ("PNP", "NPN", "pnp")  # shown as written
    # A spec only some products list differs, and the others' cells are empty (None).
    assert by_key["Housing"].values == ("M18", None, None) and by_key["Housing"].differs
    assert by_key["Cable"].values == (None, None, "2 m") and not by_key["Cable"].shared


def test_one_product_differs_from_nothing_and_a_name_given_twice_shows_both() -> None:
    [row] = align_specs([[["Output", "PNP"], ["Output", "NPN"]]])
    assert row.values == ("PNP, NPN",) and row.differs is False
    assert align_specs([]) == []
    # Malformed pairs in the JSON are skipped, not a 500.
    assert [row.key for row in align_specs([[["Only a key"], ["Output", "PNP"]]])] == ["Output"]


def test_facts_differ_as_the_page_shows_them() -> None:
    a = product("a", [], stock=40)
    b = product("b", [], stock=25, brand_name="festo ")
    assert facts_differ([a, b]) == {
        "price": False,
        "stock": False,  # both simply "In stock"
        "brand": False,
        "sku": True,
        "category": False,
    }
    c = product("c", [], stock=3, price_minor=999)
    differ = facts_differ([a, c])
    assert differ["stock"] and differ["price"]  # "Only 3 left" against "In stock"


def test_comparison_keeps_the_first_four_known_in_the_order_asked() -> None:
    found = [product(slug, [["Output", slug]]) for slug in "abcdef"]
    selection = parse_selection(["f", "nope", "a", "b", "a", "c", "d", "e"])
    comparison = compare(selection, found)
    assert comparison.slugs == ["f", "a", "b", "c"]
    assert len(comparison.products) == MAX_COMPARED and comparison.full
    assert comparison.missing == ("nope",)
    assert comparison.duplicates is True
    assert comparison.dropped == 2  # d and e
    assert comparison.spec_rows(only_differences=True)[0].key == "Output"
    assert comparison.facts(only_differences=True) == ["sku"]
    assert comparison.differences == 2


def test_a_pasted_product_address_gives_its_slug() -> None:
    assert part_reference("https://shop.example/products/abc-12?x=1#top") == "abc-12"
    assert part_reference("  6ES7 214  ") == "6ES7 214"
    assert len(part_reference("x" * 5000)) == 200
