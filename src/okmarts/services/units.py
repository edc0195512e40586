"""Spec values with units: "2.5 mm", "10–30 V DC", "-25 … +70 °C" read into numbers in base units.

Pint's conversions do the units (so "2.5 mm", "0.25 cm" and "2500 µm" are the same length, and
"24 V" sits inside "10–30 V"), written out in unit_conversions.py; this module only finds the
numbers and the unit in a catalog's wording.
Only the units in `UNIT_NAMES` are read as units: Pint knows thousands of names, and "px",
"M12" or "CO" in a spec must stay words.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from okmarts.services.unit_conversions import CONVERSIONS

# How a catalog writes a unit -> Pint's name for it.
UNIT_NAMES: dict[str, str] = {
    **{f"{prefix}V": f"{prefix}V" for prefix in ("", "m", "k")},
    **{f"{prefix}A": f"{prefix}A" for prefix in ("", "m", "k", "u")},
    **{f"{prefix}W": f"{prefix}W" for prefix in ("", "m", "k", "M")},
    **{f"{prefix}VA": f"{prefix}V*A" for prefix in ("", "k")},
    **{f"{prefix}Hz": f"{prefix}Hz" for prefix in ("", "k", "M", "G")},
    **{f"{prefix}m": f"{prefix}m" for prefix in ("", "m", "c", "u", "k", "n")},
    "in": "inch",
    "mm²": "mm**2",
    "mm2": "mm**2",
    "°C": "degC",
    "degC": "degC",
    "°F": "degF",
    "K": "K",
    **{f"{prefix}bar": f"{prefix}bar" for prefix in ("", "m")},
    **{f"{prefix}Pa": f"{prefix}Pa" for prefix in ("", "k", "M")},
    "psi": "psi",
    **{f"{prefix}Nm": f"{prefix}N*m" for prefix in ("", "m", "k")},
    **{f"{prefix}N": f"{prefix}N" for prefix in ("", "k")},
    "rpm": "rpm",
    **{f"{prefix}s": f"{prefix}s" for prefix in ("", "m", "u")},
    "min": "min",
    "h": "hour",
    "%": "percent",
    "l/min": "liter/minute",
    "L/min": "liter/minute",
    "m³/h": "m**3/hour",
    **{f"{prefix}B": f"{prefix}B" for prefix in ("", "k", "M", "G", "T")},
    "KB": "kB",
    "Ω": "ohm",
    "kΩ": "kohm",
    "MΩ": "Mohm",
    **{f"{prefix}g": f"{prefix}g" for prefix in ("", "k", "m")},
}

# Spellings folded before reading: micro signs, unicode minus, spaced dashes and ellipses.
_FOLD = str.maketrans({"µ": "u", "μ": "u", "−": "-", "‒": "–", "—": "–", "…": "…"})
_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_UNIT = "|".join(sorted((re.escape(name) for name in UNIT_NAMES), key=len, reverse=True))
# A unit must end at a word boundary: "5 m" is metres, "5 mm" millimetres, "5 min" minutes.
_UNIT_AT = rf"(?P<unit{{n}}>{_UNIT})(?![A-Za-z0-9²³])"
_BETWEEN = r"\s*(?:–|-|…|\.\.\.|to|/)\s*"
_RANGE = re.compile(
    rf"^(?:up to\s+)?(?P<low>{_NUMBER})\s*(?:{_UNIT_AT.format(n=1)})?{_BETWEEN}"
    rf"(?P<high>{_NUMBER})\s*{_UNIT_AT.format(n=2)}"
)
_QUANTITY = re.compile(
    rf"^(?P<sign>[≤≥<>±]|up to)?\s*(?P<value>{_NUMBER})\s*{_UNIT_AT.format(n=1)}"
)
_PLAIN_NUMBER = re.compile(rf"^{_NUMBER}$")
# Words before the number that don't change it: "1-phase 200–240 V", "3 × 400–500 V AC".
_LEAD = re.compile(r"^(?:\d-phase\s+|\d\s*×\s*(?=\d+(?:[.,]\d+)?\s*(?:–|-|…)))")


@dataclass(frozen=True)
class Measure:
    """A value in base units: `low == high` for a single quantity, `low < high` for a range."""

    low: float
    high: float
    base_unit: str  # Pint's base units, e.g. "meter", "kelvin": what may be compared

    @property
    def is_range(self) -> bool:
        return self.low != self.high


class UnitError(ValueError):
    """The text is not a value with a known unit."""


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_FOLD).strip()
    return re.sub(r"\s+", " ", text)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _rounded(value: float) -> float:
    # 0.25 cm is 0.0025000000000000005 m in binary: twelve significant digits make "2.5 mm",
    # "0.25 cm" and "2500 µm" the very same number, so equality and ranges behave.
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, 11 - math.floor(math.log10(abs(value))))


def _base(value: float, unit: str) -> tuple[float, str]:
    scale, offset, base = CONVERSIONS[unit]
    return _rounded(value * scale + offset), base


@lru_cache(maxsize=8192)
def parse_measure(text: str) -> Measure | None:
    """Read "2.5 mm", "4mm", "10–30 V DC", "-25 … +70 °C", "≤ 1.3 kV"; None when it has no unit.

    Words after the value ("DC", "roll", "at 400 V") are qualifiers and ignored; a bare number
    has no unit and is not a measure (see `parse_count`)."""
    folded = _LEAD.sub("", _fold(text))
    if match := _RANGE.match(folded):
        unit = match["unit2"]
        low_unit = match["unit1"] or unit
        low, base = _base(_number(match["low"]), low_unit)
        high, high_base = _base(_number(match["high"]), unit)
        if base != high_base:
            return None
        return Measure(min(low, high), max(low, high), base)
    if match := _QUANTITY.match(folded):
        value, base = _base(_number(match["value"]), match["unit1"])
        # "±0.5 %" and "±15 V" are read as their size; "≤ 1.3 kV" as its bound.
        value = abs(value) if match["sign"] == "±" else value
        return Measure(value, value, base)
    return None


def parse_count(text: str) -> float | None:
    """A bare number ("16", "2.5"): a count such as digital inputs, dimensionless."""
    folded = _fold(text)
    return _number(folded) if _PLAIN_NUMBER.match(folded) else None


def parse_input(text: str, display_unit: str) -> Measure | None:
    """What a shopper typed in a filter box: "4", "4mm", "0.4 cm". A bare number is in the
    spec's display unit; a unit of another kind ("4 V" for a length) is refused (None)."""
    folded = _fold(text)
    if not folded:
        return None
    if (count := parse_count(folded)) is not None:
        if not display_unit:
            return Measure(count, count, "dimensionless")
        folded = f"{folded} {display_unit}"
    measure = parse_measure(folded)
    if measure is None or measure.is_range:
        return None
    if display_unit and measure.base_unit != unit_base(display_unit):
        return None
    return measure


@lru_cache(maxsize=256)
def unit_base(unit: str) -> str:
    """The base units a display unit is measured in ("mm" -> "meter")."""
    unit = _fold(unit)
    if unit not in UNIT_NAMES:
        raise UnitError(unit)
    return _base(1.0, unit)[1]


def from_base(value: float, unit: str) -> float:
    """A base-unit number in a display unit (for showing a facet's bounds in "mm")."""
    scale, offset, _ = CONVERSIONS[_fold(unit)]
    return _rounded((value - offset) / scale)


# Units folded to ASCII for reading, written back the way people write them.
_SPELLING = {"um": "µm", "uA": "µA", "us": "µs", "degC": "°C", "mm2": "mm²", "KB": "kB"}


def unit_of(text: str) -> str:
    """The unit a value is written in ("mm" for "2.5 mm", "µm" for "5 µm"), or ""."""
    folded = _LEAD.sub("", _fold(text))
    if match := _RANGE.match(folded):
        unit = match["unit2"]
    elif match := _QUANTITY.match(folded):
        unit = match["unit1"]
    else:
        return ""
    return _SPELLING.get(unit, unit)
