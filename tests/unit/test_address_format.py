"""Addresses in their country's layout, the country named in the reader's language."""

from okmarts.address_format import address_lines


def test_an_american_address_puts_the_city_before_state_and_zip() -> None:
    lines = address_lines(
        "US", "en", recipient="R", line="1 Y St", city="Columbus", region="OH", zip_code="43004"
    )
    assert lines == ["R", "1 Y St", "Columbus, OH 43004", "United States"]


def test_a_german_address_puts_the_postcode_first_and_names_the_country_in_spanish() -> None:
    lines = address_lines(
        "DE", "es", recipient="Mia", line="Hafenstraße 3", city="Hamburg", zip_code="20457"
    )
    assert lines == ["Mia", "Hafenstraße 3", "20457 Hamburg", "Alemania"]


def test_nothing_the_shopper_wrote_is_dropped() -> None:
    lines = address_lines(
        "JP", "en", recipient="R", line="1-2", city="Chiyoda", region="Tokyo", zip_code="100-0001"
    )
    assert "Chiyoda" in " ".join(lines)
