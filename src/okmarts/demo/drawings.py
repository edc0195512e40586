"""Product drawings of the demo catalog: SVG line drawings made from a few numbers, never files.

A drawing is named by what it shows, e.g. `drawings/module.8.3.2.1.0.NkVTNyAyMTQtMQ.svg`:

    drawings/<shape>.<count>.<size>.<colour>.<variant>.<view>.<label>.svg

- shape: the product family's outline (a DIN-rail module, a threaded sensor barrel, a motor…);
- count: what the part has a number of (terminals, I/O points, poles, cores, bowls…), 0–64;
- size: 0–9, its size within the family (frame, bore, screen, length);
- colour: 0–9, housing or sheath colour (see COLOURS);
- variant: 0–9, the family's sub-style (breaker lever, timer knob, connector kind…);
- view: 0 front, 1 side with dimension lines, 2 rating plate;
- label: the part number and rating printed on it, as URL-safe base64 of UTF-8 text
  ("part|rating").

The seed (okmarts.demo.catalog) stores such a name per picture: one string per row, nothing on
disk. okmarts.static_files serves the name under /static/ with a hash of this module's
DRAWING_VERSION, like a file's content hash, so browsers keep each drawing for a year and a new
version of the drawings gets new URLs. Rendering is string formatting (well under a
millisecond) and the last few thousand are kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

# Bump when drawings change: every drawing URL changes with it.
DRAWING_VERSION = "1"
VERSION_HASH = hashlib.sha256(f"okmarts-drawings-{DRAWING_VERSION}".encode()).hexdigest()[:12]
WIDTH, HEIGHT = 640, 480
LABEL_MAX = 60

NAME = re.compile(
    r"^drawings/(?P<shape>[a-z]+)\.(?P<count>\d{1,2})\.(?P<size>\d)\.(?P<colour>\d)"
    r"\.(?P<variant>\d)\.(?P<view>[012])\.(?P<label>[A-Za-z0-9_-]{0,120})\.svg$"
)

# Housing and sheath colours: light grey, mid grey, anthracite, blue, green, yellow, orange,
# black, teal, transparent-ish.
COLOURS = (
    "#d9dee3",
    "#a7b0b9",
    "#4b5560",
    "#2f6fb0",
    "#3a8f5c",
    "#e2b93b",
    "#e07b39",
    "#2b2f33",
    "#2a9d8f",
    "#cfe3ef",
)
LINE = "#5b6773"
BACKGROUND = "#eef2f5"


@dataclass(frozen=True)
class Drawing:
    shape: str
    count: int
    size: int
    colour: int
    variant: int
    view: int
    part: str
    rating: str


def encode_label(part: str, rating: str) -> str:
    text = f"{part}|{rating}"[:LABEL_MAX]
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def drawing_name(
    shape: str, count: int, size: int, colour: int, variant: int, view: int, label: str
) -> str:
    """The stored name of a drawing (see the module's docstring); label from encode_label."""
    return (
        f"drawings/{shape}.{min(max(count, 0), 64)}.{min(max(size, 0), 9)}.{colour % 10}"
        f".{variant % 10}.{view}.{label}.svg"
    )


def parse(name: str) -> Drawing | None:
    match = NAME.match(name)
    if match is None or match["shape"] not in SHAPES or int(match["count"]) > 64:
        return None
    raw = match["label"]
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if len(text) > LABEL_MAX or any(ord(char) < 32 for char in text):
        return None
    part, _, rating = text.partition("|")
    return Drawing(
        match["shape"],
        int(match["count"]),
        int(match["size"]),
        int(match["colour"]),
        int(match["variant"]),
        int(match["view"]),
        part,
        rating,
    )


def is_drawing(name: str) -> bool:
    return parse(name) is not None


@lru_cache(maxsize=4096)
def render(name: str) -> str | None:
    """The SVG of a drawing name, or None if the name is not one."""
    drawing = parse(name)
    if drawing is None:
        return None
    body = SHAPES[drawing.shape](drawing)
    if drawing.view == 1:
        body = _side_view(drawing, body)
    elif drawing.view == 2:
        body = _rating_plate(drawing, body)
    else:
        body = body + _tag(drawing, 400, 400)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{BACKGROUND}"/>{body}</svg>'
    )


# -- Pieces ----------------------------------------------------------------------------------


def _rect(x: float, y: float, w: float, h: float, fill: str, rx: float = 6) -> str:
    return (
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="{rx:.0f}"'
        f' fill="{fill}" stroke="{LINE}" stroke-width="4" stroke-linejoin="round"/>'
    )


def _circle(x: float, y: float, r: float, fill: str, stroke: bool = True) -> str:
    line = f' stroke="{LINE}" stroke-width="3"' if stroke else ""
    return f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{r:.0f}" fill="{fill}"{line}/>'


def _path(d: str, fill: str = "none", width: float = 4, colour: str = LINE) -> str:
    return (
        f'<path d="{d}" fill="{fill}" stroke="{colour}" stroke-width="{width:.0f}"'
        ' stroke-linecap="round" stroke-linejoin="round"/>'
    )


def _text(x: float, y: float, text: str, size: int = 18, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-family="sans-serif" font-size="{size}"'
        f' text-anchor="{anchor}" fill="#2b2f33">{escape(text)}</text>'
    )


def _shadow(cx: float, cy: float, rx: float) -> str:
    return f'<ellipse cx="{cx:.0f}" cy="{cy:.0f}" rx="{rx:.0f}" ry="12" fill="#dbe1e7"/>'


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip(" ,") + "…"


def _tag(drawing: Drawing, x: float, y: float) -> str:
    """The part number and rating on a small tag tied to the part (front view)."""
    part, rating = _fit(drawing.part, 22), _fit(drawing.rating, 28)
    width = max(len(part) * 9.5, len(rating) * 7.6) + 24
    x = min(x, WIDTH - width - 8)
    return (
        _path(f"M{x - 30:.0f} {y - 40}L{x:.0f} {y + 4}", width=2)
        + f'<rect x="{x:.0f}" y="{y:.0f}" width="{width:.0f}" height="56" rx="4" fill="#fff"'
        f' stroke="{LINE}" stroke-width="2"/>'
        + _text(x + 12, y + 24, part, 16, "start")
        + _text(x + 12, y + 46, rating, 14, "start")
    )


def _side_view(drawing: Drawing, body: str) -> str:
    """The part smaller, on a grid, with its size marked."""
    grid = "".join(f"M{x} 0V{HEIGHT}" for x in range(40, WIDTH, 40)) + "".join(
        f"M0 {y}H{WIDTH}" for y in range(40, HEIGHT, 40)
    )
    marks = 80 + drawing.size * 40
    return (
        _path(grid, width=1, colour="#dde3e8")
        + f'<g transform="translate(80 40) scale(0.75)">{body}</g>'
        + _path(
            f"M{320 - marks / 2} 440H{320 + marks / 2}M{320 - marks / 2} 430v20"
            f"M{320 + marks / 2} 430v20",
            width=2,
        )
        + _text(320, 430, drawing.rating or drawing.part, 16)
    )


def _rating_plate(drawing: Drawing, body: str) -> str:
    """The part's rating plate, with a small picture of the part."""
    out = _rect(60, 60, 520, 360, "#f8fafb", 10)
    out += f'<g transform="translate(70 150) scale(0.42)">{body}</g>'
    out += _text(330, 150, _fit(drawing.part, 16), 24, "start")
    # The rating on up to two lines.
    words, lines = drawing.rating.split(" "), [""]
    for word in words:
        if len(lines[-1]) + len(word) + 1 > 20 and lines[-1]:
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    for index, line in enumerate(lines[:2]):
        out += _text(330, 195 + index * 30, _fit(line, 20), 20, "start")
    # A barcode-like strip made from the part number: different parts, different strips.
    bars = "".join(
        f"M{330 + i * 6} 300v{40 + (ord(char) % 5) * 8}" for i, char in enumerate(drawing.part[:36])
    )
    return out + _path(bars, width=3, colour="#2b2f33") + _path("M330 380H560", width=2)


def _terminals(x: float, y: float, width: float, count: int, r: float = 9) -> str:
    if count <= 0:
        return ""
    step = width / count
    return "".join(
        _circle(x + step * (i + 0.5), y, min(r, step / 2.6), LINE, False) for i in range(count)
    )


# -- Shapes ----------------------------------------------------------------------------------


def _module(d: Drawing) -> str:
    """A DIN-rail module: width by size, terminals top and bottom by count, and its variant's
    face: 0 status LEDs, 1 display (CPU), 2 breaker lever, 3 timer knob, 4 heat sink (solid
    state), 5 vent slots (power supply), 6 key switch (safety), 7 coil window (contactor)."""
    width = 70 + d.size * 28
    x, y, h = 320 - width / 2, 80, 300
    housing = COLOURS[d.colour]
    out = _shadow(320, 392, width / 2 + 60) + _rect(x - 30, 200, width + 60, 40, "#aab4be", 2)
    out += _rect(x, y, width, h, housing, 10)
    per_row = max(1, min(d.count, int(width // 22)))
    out += _terminals(x, y + 26, width, per_row) + _terminals(x, y + h - 26, width, per_row)
    face_y = y + 60
    if d.variant == 0:
        leds = max(1, min(d.count, 32))
        columns = max(1, int((width - 20) // 18))
        for i in range(leds):
            out += _circle(
                x + 18 + (i % columns) * 18, face_y + 10 + (i // columns) * 18, 5, "#3cb371", False
            )
    elif d.variant == 1:
        out += _rect(x + 12, face_y, width - 24, 70, "#1f3b57", 4)
        out += _text(320, face_y + 44, "RUN", 22).replace('fill="#2b2f33"', 'fill="#9fe0a8"')
    elif d.variant == 2:
        out += _rect(x + 10, face_y + 40, width - 20, 90, "#e9edf1", 4)
        out += "".join(
            _rect(
                x + 16 + i * (width - 20) / max(1, d.count),
                face_y + 60,
                (width - 20) / max(1, d.count) - 12,
                50,
                "#2b2f33",
                3,
            )
            for i in range(max(1, min(d.count, 4)))
        )
    elif d.variant == 3:
        out += _circle(320, face_y + 80, min(44, width / 3), "#e9edf1")
        out += _path(f"M320 {face_y + 80}l20 -28", width=6)
    elif d.variant == 4:
        out += "".join(
            _path(f"M{x + 8} {face_y + i * 16}H{x + width - 8}", width=6) for i in range(10)
        )
    elif d.variant == 5:
        out += "".join(
            _path(f"M{x + 14 + i * 12} {face_y}v60", width=4)
            for i in range(int((width - 20) // 12))
        )
        out += _circle(x + width - 20, face_y + 100, 8, "#3cb371", False)
    elif d.variant == 6:
        out += _rect(x + 10, face_y, width - 20, 60, "#e2b93b", 4)
        out += _circle(320, face_y + 110, 18, "#c8553d")
    else:
        out += _rect(x + 20, face_y + 20, width - 40, 110, "#c9d1d9", 4)
        out += _rect(320 - 30, face_y + 50, 60, 40, "#2f6fb0", 4)
    return out


def _barrel(d: Drawing) -> str:
    """A threaded sensor barrel (M8…M30 by size): face colour by variant (0 inductive, 1
    capacitive), a connector with count pins, or a cable (count 0)."""
    thick = 40 + d.size * 22
    y = 240 - thick / 2
    face = ("#2f6fb0", "#e07b39", "#3a8f5c")[d.variant % 3]
    out = _shadow(320, 240 + thick / 2 + 30, 250)
    out += _rect(110, y, 260, thick, COLOURS[d.colour], 6)
    out += "".join(
        _path(f"M{130 + i * 14} {y}v{thick}", width=2, colour="#8995a1") for i in range(16)
    )
    out += _rect(96, y + 6, 24, thick - 12, face, 6)
    out += _rect(180, y - 12, 30, thick + 24, "#aab4be", 4)
    out += _rect(300, y - 12, 30, thick + 24, "#aab4be", 4)
    out += _rect(370, 240 - 36, 70, 72, "#e3e8ed", 6) + _circle(405, 240 - 46, 7, "#f0a030")
    if d.count:
        out += _rect(440, 240 - 26, 50, 52, "#aab4be", 6)
        out += _terminals(446, 240, 38, min(d.count, 8), 4)
    else:
        out += _path("M440 240c60 0 60 70 140 70", width=16)
    return out


def _box_sensor(d: Drawing) -> str:
    """A rectangular photoelectric sensor: lenses by variant (mode), connector pins by count."""
    out = _shadow(320, 392, 200) + _rect(200, 110, 220, 260, COLOURS[d.colour], 12)
    lenses = (1, 2, 1, 2)[d.variant % 4]
    for i in range(lenses):
        out += _circle(310 - (lenses - 1) * 36 + i * 72 + 10, 200, 30, "#1f3b57")
    if d.variant == 3:
        out += _rect(250, 270, 120, 24, "#e9edf1", 4)  # distance dial
    out += _circle(240, 140, 7, "#f0a030", False) + _circle(262, 140, 7, "#3cb371", False)
    out += _rect(290, 370, 40, 40, "#aab4be", 4) + _terminals(292, 390, 36, min(d.count, 8), 4)
    return out


def _probe(d: Drawing) -> str:
    """Variant 0: a pressure sensor (round head, port by size); 1: a temperature probe whose
    stem is as long as count says (cm)."""
    out = _shadow(320, 420, 160)
    if d.variant == 0:
        out += _rect(270, 80, 100, 60, "#aab4be", 6)
        out += _circle(320, 200, 70, COLOURS[d.colour]) + _circle(320, 200, 46, "#f8fafb")
        out += _path("M320 200l26 -22", width=5)
        out += _rect(290, 270, 60, 40, "#aab4be", 4)
        thread = 22 + d.size * 5
        out += _rect(320 - thread / 2, 310, thread, 70, "#c9d1d9", 3)
        out += "".join(
            _path(f"M{320 - thread / 2} {318 + i * 10}h{thread}", width=2) for i in range(6)
        )
    else:
        stem = min(300, 40 + d.count * 10)
        out += _circle(320, 110, 54, COLOURS[d.colour]) + _rect(292, 160, 56, 34, "#aab4be", 4)
        out += _rect(308, 194, 24, stem, "#c9d1d9", 10)
    return out


def _encoder(d: Drawing) -> str:
    """A rotary encoder: body, shaft (solid or hollow by variant), code-disc ticks by count."""
    out = _shadow(320, 410, 180) + _circle(300, 240, 120, COLOURS[d.colour])
    out += _circle(300, 240, 84, "#f8fafb")
    ticks = max(8, min(d.count, 64))
    for i in range(ticks):
        out += (
            f'<line x1="300" y1="160" x2="300" y2="172" stroke="{LINE}" stroke-width="2"'
            f' transform="rotate({360 * i / ticks:.1f} 300 240)"/>'
        )
    shaft = 12 + d.size * 4
    if d.variant >= 2:
        out += _circle(300, 240, shaft, BACKGROUND)
    else:
        out += _circle(300, 240, shaft, "#aab4be")
    out += _rect(420, 220, 60, 40, "#aab4be", 4)
    return out


def _motor(d: Drawing) -> str:
    """Variant 0: a finned induction motor on feet, length by size (frame); variant 1: a servo
    motor with a square flange and connectors; count 1 adds the brake housing."""
    length = 200 + d.size * 22
    x = 320 - length / 2 - 30
    body = COLOURS[d.colour]
    out = _shadow(320, 396, length / 2 + 90)
    if d.variant == 0:
        out += _rect(x, 150, length, 190, body, 20)
        out += "".join(
            _path(f"M{x + 10} {166 + i * 16}H{x + length - 10}", width=3) for i in range(11)
        )
        out += _rect(x + length / 2 - 40, 110, 80, 44, body, 4)  # terminal box
        out += _rect(x + 20, 340, 40, 30, "#aab4be", 2) + _rect(
            x + length - 60, 340, 40, 30, "#aab4be", 2
        )
    else:
        out += _rect(x, 170, length, 150, body, 10)
        out += _rect(x + length - 20, 150, 40, 190, "#aab4be", 4)
        out += _rect(x + 30, 136, 40, 34, "#2b2f33", 4) + _rect(x + 90, 136, 34, 34, "#2b2f33", 4)
    if d.count:
        out += _rect(x - 50, 190, 50, 110, "#c8553d", 6)
    out += _rect(x + length + 20 if d.variant else x + length, 230, 80, 30, "#c9d1d9", 4)
    return out


def _drive(d: Drawing) -> str:
    """A drive cabinet unit: height by size; variant 0 inverter (keypad), 1 servo drive
    (narrow, connectors), 2 soft starter (dials)."""
    height = 200 + d.size * 20
    width = (200, 120, 170)[d.variant % 3] + d.size * 6
    x, y = 320 - width / 2, 440 - height - 30
    out = _shadow(320, 424, width / 2 + 50) + _rect(x, y, width, height, COLOURS[d.colour], 8)
    out += "".join(
        _path(f"M{x + 16 + i * 12} {y + 12}v30", width=3) for i in range(int((width - 30) // 12))
    )
    if d.variant % 3 == 0:
        out += _rect(x + 24, y + 60, width - 48, 110, "#e9edf1", 6)
        out += _rect(x + 40, y + 72, width - 80, 34, "#1f3b57", 3)
        out += "".join(
            _circle(x + 50 + i * (width - 100) / 3, y + 140, 10, "#aab4be") for i in range(4)
        )
    elif d.variant % 3 == 1:
        out += _rect(x + 20, y + 60, width - 40, 40, "#1f3b57", 3)
        out += "".join(
            _rect(x + 24, y + 120 + i * 46, width - 48, 34, "#2b2f33", 3)
            for i in range(min(3, max(1, int((height - 140) // 50))))
        )
    else:
        out += "".join(_circle(x + width / 2, y + 90 + i * 60, 20, "#e9edf1") for i in range(2))
    out += _terminals(x, y + height - 20, width, max(3, min(d.count, 12)))
    return out


def _screen(d: Drawing) -> str:
    """Variant 0: a touch panel, 1: a panel PC (screen by size); 2: a 96 x 48 panel meter
    showing count digits."""
    if d.variant == 2:
        out = _shadow(320, 360, 200) + _rect(160, 160, 320, 170, COLOURS[d.colour], 8)
        out += _rect(185, 180, 270, 90, "#1f3b57", 4)
        digits = max(3, min(d.count, 6))
        for i in range(digits):
            x = 320 - digits * 20 + i * 40 + 8
            out += _path(f"M{x} 195h24v60h-24zM{x} 225h24", width=4, colour="#ff6b4a")
        return out + "".join(_rect(200 + i * 64, 285, 40, 28, "#aab4be", 3) for i in range(4))
    width = 240 + d.size * 30
    height = width * (0.62 if d.variant == 0 else 0.66)
    x, y = 320 - width / 2, 240 - height / 2
    out = _shadow(320, y + height + 26, width / 2 + 30)
    out += _rect(x, y, width, height, COLOURS[d.colour], 14)
    out += _rect(x + 20, y + 20, width - 40, height - 40, "#1f3b57", 4)
    tiles = 2 + d.size // 3
    for i in range(tiles):
        out += _rect(
            x + 36 + i * (width - 72) / tiles,
            y + 40,
            (width - 72) / tiles - 12,
            height / 3,
            "#3d6f99",
            3,
        )
    if d.variant == 1:
        out += _circle(x + width - 30, y + height - 10, 5, "#3cb371", False)
    return out


def _cable(d: Drawing) -> str:
    """A coiled cable, sheath colour by colour, loops by size (length), with the connector of
    its variant: 0 M12 straight, 1 M12 angled, 2 M8, 3 RJ45, 4 M12 to RJ45; count = cores."""
    sheath = COLOURS[d.colour]
    loops = 2 + d.size // 2
    out = _shadow(320, 400, 230)
    for i in range(loops):
        out += (
            f'<ellipse cx="{300 + i * 8}" cy="{250 - i * 6}" rx="{150 - i * 6}"'
            f' ry="{90 - i * 4}" fill="none" stroke="{sheath}" stroke-width="16"/>'
        )
    out += _path("M150 250C120 300 100 330 90 360", width=16, colour=sheath)
    out += _path(f"M{450 + loops * 2} 240C500 200 520 170 540 150", width=16, colour=sheath)
    # Length marks printed on the sheath, one per metre step.
    out += "".join(
        _path(f"M{200 + i * 26} {330 + (i % 2) * 4}v10", width=2, colour="#fff")
        for i in range(d.size + 1)
    )
    end = d.variant % 5
    if end in (0, 2, 4):
        r = 18 if end == 2 else 26
        out += _rect(540 - r, 100 - r * 2, r * 2, r * 3, "#aab4be", 5)
        out += _terminals(540 - r, 100 - r * 2 - 10, r * 2, min(max(d.count, 3), 8), 3)
    elif end == 1:
        out += _path("M540 150l30 -30h30", width=34, colour="#aab4be")
    else:
        out += _rect(520, 90, 44, 60, "#cfe3ef", 4) + _rect(530, 80, 24, 12, "#e9edf1", 2)
    if end in (3, 4):
        out += _rect(66, 356, 44, 60, "#cfe3ef", 4)
    else:
        out += _rect(70, 356, 40, 50, "#aab4be", 5)
    return out


def _drum(d: Drawing) -> str:
    """A drum of control cable: drum width by size (length), cable colour, count cores shown in
    the cut end."""
    width = 160 + d.size * 16
    out = _shadow(320, 410, width / 2 + 130)
    out += (
        f'<ellipse cx="{320 - width / 2}" cy="240" rx="50" ry="160" fill="#c49a6c"'
        f' stroke="{LINE}" stroke-width="4"/>'
    )
    out += _rect(320 - width / 2, 120, width, 240, COLOURS[d.colour], 4)
    out += "".join(
        _path(f"M{320 - width / 2} {130 + i * 20}h{width}", width=2, colour="#0006")
        for i in range(12)
    )
    out += (
        f'<ellipse cx="{320 + width / 2}" cy="240" rx="50" ry="160" fill="#c49a6c"'
        f' stroke="{LINE}" stroke-width="4"/>'
    )
    out += _circle(540, 380, 30, COLOURS[d.colour])
    cores = max(2, min(d.count, 12))
    palette = ("#2f6fb0", "#7a5230", "#2b2f33", "#a7b0b9", "#e2b93b", "#3a8f5c")
    for i in range(cores):
        out += _circle(
            540 + 16 * ((i % 3) - 1), 372 + 12 * (i // 3) - 6, 6, palette[i % len(palette)], False
        )
    return out


def _terminal_blocks(d: Drawing) -> str:
    """Terminal blocks clipped on a rail: count blocks, width by size, colour; variant 0 feed
    through, 1 ground, 2 double level, 3 fuse."""
    blocks = max(2, min(d.count, 12))
    width = 20 + d.size * 3
    x0 = 320 - blocks * width / 2
    out = _shadow(320, 400, blocks * width / 2 + 80) + _rect(
        x0 - 60, 230, blocks * width + 120, 30, "#aab4be", 2
    )
    colour = COLOURS[d.colour]
    for i in range(blocks):
        x = x0 + i * width
        out += _rect(x, 110, width - 2, 260, colour, 3)
        out += _circle(x + width / 2 - 1, 140, width / 3, LINE, False)
        out += _circle(x + width / 2 - 1, 340, width / 3, LINE, False)
        if d.variant == 2:
            out += _circle(x + width / 2 - 1, 180, width / 3, LINE, False)
        elif d.variant == 3:
            out += _rect(x + 2, 190, width - 6, 50, "#2b2f33", 2)
    return out


def _heavy_connector(d: Drawing) -> str:
    """A heavy-duty connector hood: size by size, count contacts, lever by variant."""
    width = 160 + d.size * 30
    x = 320 - width / 2
    out = _shadow(320, 400, width / 2 + 60) + _rect(x, 200, width, 170, COLOURS[d.colour], 10)
    out += _rect(x + 20, 110, width - 40, 100, "#aab4be", 10)
    if d.variant == 0:
        out += _rect(300, 60, 40, 50, "#aab4be", 4)
    else:
        out += _path(f"M{x - 10} 250h-30v90h30", width=10)
        if d.variant == 2:
            out += _path(f"M{x + width + 10} 250h30v90h-30", width=10)
    rows = 2
    per_row = max(1, (d.count + 1) // rows)
    out += _terminals(x + 20, 270, width - 40, per_row, 8)
    out += _terminals(x + 20, 310, width - 40, max(1, d.count - per_row), 8)
    return out


def _pneumatic_cylinder(d: Drawing) -> str:
    """A pneumatic cylinder: bore (thickness) by size, stroke (length) by count; variant 0
    profile barrel, 1 round, 2 compact."""
    bore = 50 + d.size * 12
    stroke = 140 + min(d.count, 40) * 6 if d.variant != 2 else 90 + min(d.count, 40) * 2
    x = 300 - stroke / 2 - 40
    out = _shadow(320, 240 + bore / 2 + 50, stroke / 2 + 160)
    out += _rect(x, 240 - bore / 2, stroke, bore, COLOURS[d.colour], 4 if d.variant != 1 else 20)
    out += _rect(x - 30, 240 - bore / 2 - 10, 36, bore + 20, "#aab4be", 4)
    out += _rect(x + stroke - 6, 240 - bore / 2 - 10, 36, bore + 20, "#aab4be", 4)
    out += _rect(x + stroke + 30, 234, 120, 12, "#c9d1d9", 2) + _rect(
        x + stroke + 150, 228, 30, 24, "#aab4be", 3
    )
    out += _circle(x + 10, 240 - bore / 2 - 24, 10, "#2b2f33")
    out += _circle(x + stroke + 12, 240 - bore / 2 - 24, 10, "#2b2f33")
    if d.variant == 0:
        out += _path(f"M{x + 10} {240 - bore / 4}h{stroke - 20}", width=2)
    return out


def _valve(d: Drawing) -> str:
    """A solenoid valve: port by size, coil colour by colour, one coil (monostable) or two
    (count 2), variant = connector kind."""
    out = _shadow(320, 390, 220) + _rect(180, 230, 280, 120, "#c9d1d9", 6)
    ports = 5 if d.count != 3 else 3
    port = 16 + d.size * 3
    for i in range(ports):
        out += _circle(220 + i * (200 / max(1, ports - 1)), 320, port / 2, "#2b2f33")
    coils = 2 if d.count == 2 else 1
    for i in range(coils):
        x = 180 + i * 190 if coils == 2 else 190
        out += _rect(x, 120, 90, 110, COLOURS[d.colour], 6)
        out += _rect(x + 20, 90 - (d.variant % 3) * 8, 50, 30 + (d.variant % 3) * 8, "#aab4be", 4)
    return out


def _air_unit(d: Drawing) -> str:
    """An air-preparation unit: count bowls side by side (filter, regulator, lubricator)."""
    units = max(1, min(d.count, 3))
    width = 80 + d.size * 6
    x0 = 320 - units * (width + 20) / 2
    out = _shadow(320, 420, units * width / 2 + 80)
    out += _rect(x0 - 40, 110, units * (width + 20) + 80, 40, "#aab4be", 4)
    for i in range(units):
        x = x0 + i * (width + 20) + 10
        out += _rect(x, 90, width, 80, COLOURS[d.colour], 8)
        out += _path(f"M{x + 8} 170h{width - 16}l-10 190h{-(width - 36)}z", fill="#cfe3ef")
        if i == 0 or units == 1:
            out += _circle(x + width / 2, 60, 24, "#f8fafb")
    return out


def _tubing(d: Drawing) -> str:
    """A roll of tubing: colour, tube thickness by size, turns by count (roll length)."""
    turns = max(3, min(d.count // 10, 10))
    thick = 8 + d.size * 2
    colour = COLOURS[d.colour]
    out = _shadow(320, 410, 220)
    for i in range(turns):
        out += (
            f'<ellipse cx="320" cy="240" rx="{200 - i * (100 / turns):.0f}"'
            f' ry="{150 - i * (80 / turns):.0f}" fill="none" stroke="{LINE}"'
            f' stroke-width="{thick + 4}"/><ellipse cx="320" cy="240"'
            f' rx="{200 - i * (100 / turns):.0f}" ry="{150 - i * (80 / turns):.0f}"'
            f' fill="none" stroke="{colour}" stroke-width="{thick}"/>'
        )
    return out + _path("M520 240c40 0 60 40 80 100", width=thick, colour=colour)


def _fitting(d: Drawing) -> str:
    """A push-in fitting: variant 0 straight, 1 elbow, 2 tee, 3 Y; tube size by size."""
    tube = 30 + d.size * 6
    blue = "#2f6fb0"
    out = _shadow(320, 400, 180)
    if d.variant == 0:
        out += _rect(260, 180, 120, 90, "#c9d1d9", 6) + _rect(280, 270, 80, 90, "#aab4be", 4)
        out += _rect(320 - tube / 2, 90, tube, 90, blue, 6)
    else:
        arms = {1: ((-1, 0), (0, 1)), 2: ((-1, 0), (1, 0), (0, 1)), 3: ((-1, -1), (1, -1), (0, 1))}
        out += _rect(280, 200, 80, 80, "#c9d1d9", 10)
        for dx, dy in arms[d.variant % 4 or 1]:
            out += _path(
                f"M320 240l{dx * 130} {dy * 130 if dy else 0}", width=tube, colour="#c9d1d9"
            )
            out += _circle(320 + dx * 130, 240 + dy * 130, tube / 2 + 6, blue)
    return out


def _fuse(d: Drawing) -> str:
    """A cylindrical fuse: length and thickness by size, band colour by colour, a pack of
    count."""
    length = 180 + d.size * 30
    thick = 50 + d.size * 8
    out = _shadow(320, 380, length / 2 + 80)
    for i in range(min(max(d.count, 1), 3)):
        y = 160 + i * 40
        x = 320 - length / 2 + i * 20
        out += _rect(x, y, length, thick, "#f4f1ea", thick / 2)
        out += _rect(x - 14, y + 2, 40, thick - 4, "#c9d1d9", 6)
        out += _rect(x + length - 26, y + 2, 40, thick - 4, "#c9d1d9", 6)
        out += _rect(x + length / 2 - 30, y, 60, thick, COLOURS[d.colour], 2)
    return out


def _transformer(d: Drawing) -> str:
    """A control transformer: core size by size, count secondary windings."""
    width = 220 + d.size * 18
    x = 320 - width / 2
    out = _shadow(320, 400, width / 2 + 60) + _rect(x, 110, width, 260, "#8995a1", 4)
    out += "".join(_path(f"M{x} {130 + i * 14}h{width}", width=1) for i in range(17))
    out += _rect(x + 30, 150, width - 60, 180, COLOURS[d.colour], 12)
    out += _rect(x - 20, 370, width + 40, 24, "#aab4be", 2)
    windings = max(1, min(d.count, 3))
    out += _terminals(x + 30, 140, width - 60, 2 + windings * 2, 9)
    return out


SHAPES: dict[str, Callable[[Drawing], str]] = {
    "module": _module,
    "barrel": _barrel,
    "boxsensor": _box_sensor,
    "probe": _probe,
    "encoder": _encoder,
    "motor": _motor,
    "drive": _drive,
    "screen": _screen,
    "cable": _cable,
    "drum": _drum,
    "terminals": _terminal_blocks,
    "connector": _heavy_connector,
    "cylinder": _pneumatic_cylinder,
    "valve": _valve,
    "airunit": _air_unit,
    "tubing": _tubing,
    "fitting": _fitting,
    "fuse": _fuse,
    "transformer": _transformer,
}
