"""Spec values with units: read, normalised to base units, compared (services.units, .specs)."""

from __future__ import annotations

import pytest

from okmarts.services import specs, units
from okmarts.services.unit_conversions import CONVERSIONS
from okmarts.services.units import parse_input, parse_measure


@pytest.mark.parametrize("text", ["2.5 mm", "0.25 cm", "2500 µm", "2500 μm", "2500 um", "2.5mm"])
def test_the_same_length_in_any_unit_is_the_same_number(text: str) -> None:
    measure = parse_measure(text)
    assert measure is not None and (measure.low, measure.high) == (0.0025, 0.0025)
    assert measure.base_unit == "meter"


def test_ranges_read_with_any_dash_and_qualifiers_after() -> None:
    volts = parse_measure("10–30 V DC")
    assert volts is not None and (volts.low, volts.high) == (10, 30) and volts.is_range
    assert parse_measure("10-30 V") == volts == parse_measure("10 … 30 V AC/DC")
    assert parse_measure("1-phase 200–240 V AC") == parse_measure("200–240 V")
    assert parse_measure("3 × 400–500 V AC") == parse_measure("400–500 V")
    twenty_four = parse_measure("24 V")
    assert twenty_four is not None and volts.low <= twenty_four.low <= volts.high


def test_celsius_is_an_offset_unit() -> None:
    measure = parse_measure("-25 … +70 °C")
    assert measure is not None and measure.base_unit == "kelvin"
    assert (measure.low, measure.high) == (248.15, 343.15)
    assert units.from_base(measure.low, "°C") == -25


def test_milli_kilo_and_mixed_units_in_one_range() -> None:
    assert parse_measure("4–20 mA") == units.Measure(0.004, 0.02, "ampere")
    power = parse_measure("1.5 kW")
    assert power is not None and power.low == 1500 == parse_measure("1500 W").low
    assert parse_measure("0.1 s … 10 min") == units.Measure(0.1, 600, "second")


def test_words_and_part_names_are_not_measures() -> None:
    for text in ("M12", "PNP NO", "IP67", "3 × 0.25 mm²", "1 CO", "1280 × 800 px", "G1/4"):
        assert parse_measure(text) is None, text


def test_a_shoppers_filter_input_in_the_specs_unit() -> None:
    assert parse_input("4", "mm") == parse_input("4mm", "mm") == parse_input("0.4 cm", "mm")
    assert parse_input("4 V", "mm") is None  # another kind of unit
    assert parse_input("lots", "mm") is None
    assert parse_input("16", "") == units.Measure(16, 16, "dimensionless")


def test_kinds_inferred_from_a_categorys_values() -> None:
    definitions = {
        d.key: d
        for d in specs.infer_definitions(
            [
                [
                    ["Sensing distance", "4 mm"],
                    ["Supply voltage", "10–30 V DC"],
                    ["Output", "PNP NO"],
                ],
                [["Sensing distance", "8 mm"], ["Supply voltage", "24 V DC"], ["Output", "NPN NO"]],
                [
                    ["Sensing distance", "1.5 mm"],
                    ["Supply voltage", "18–30 V DC"],
                    ["Output", "PNP NC"],
                ],
            ]
        )
    }
    assert (definitions["Sensing distance"].kind, definitions["Sensing distance"].unit) == (
        "quantity",
        "mm",
    )
    assert (definitions["Supply voltage"].kind, definitions["Supply voltage"].unit) == (
        "range",
        "V",
    )
    assert definitions["Output"].kind == "enumeration"


def test_a_value_in_the_wrong_unit_is_refused() -> None:
    definition = specs.Definition("Sensing distance", "quantity", "mm")
    assert specs.typed_value(definition, "0.4 cm").low == 0.004
    with pytest.raises(specs.SpecInvalid):
        specs.typed_value(definition, "4 V")
    with pytest.raises(specs.SpecInvalid):
        specs.typed_value(definition, "four")
    problems = specs.check_specs({"Sensing distance": definition}, [["Sensing distance", "4 kg"]])
    assert [problem.key for problem in problems] == ["Sensing distance"]
    assert specs.check_specs({}, "not a list")


def pint_conversions() -> dict[str, tuple[float, float, str]]:
    """What Pint says for every unit of UNIT_NAMES, as unit_conversions.CONVERSIONS holds it."""
    import pint

    registry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    table = {}
    for spelling, name in units.UNIT_NAMES.items():
        converter = getattr(registry._units.get(name), "converter", None)
        offset = float(getattr(converter, "offset", 0) or 0)
        if offset:
            scale = float(converter.scale)
            base = str(registry.Quantity(1.0, name).to_base_units().units)
        else:
            quantity = registry.Quantity(1.0, name).to_base_units()
            scale, base = float(quantity.magnitude), str(quantity.units)
        table[spelling] = (scale, offset, base)
    return table


def test_the_written_out_conversions_are_pints() -> None:
    expected = pint_conversions()
    fresh = "\n".join(f"    {key!r}: {value!r}," for key, value in expected.items())
    assert expected == CONVERSIONS, f"Paste into unit_conversions.py:\n{fresh}"


@pytest.mark.parametrize("spelling", sorted(units.UNIT_NAMES))
def test_values_convert_as_pint_converts_them(spelling: str) -> None:
    import pint

    registry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    name = units.UNIT_NAMES[spelling]
    for value in (-40.0, 0.0, 0.25, 1.0, 2.5, 24.0, 230.0, 1e5):
        quantity = registry.Quantity(value, name).to_base_units()
        measure = parse_measure(f"{value:g} {spelling}")
        assert measure is not None
        assert measure.low == units._rounded(float(quantity.magnitude))
        assert measure.base_unit == str(quantity.units)
        back = registry.Quantity(measure.low, quantity.units).to(name).magnitude
        assert units.from_base(measure.low, spelling) == units._rounded(float(back))
