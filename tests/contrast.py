"""WCAG 2 contrast between two colours written as CSS writes them: '#1b1b1b', '#fff' or 'rgb(27, 27, 27)'."""
from __future__ import annotations

import re

AA_TEXT = 4.5
"""The least contrast of normal-sized text against its background (WCAG 2, level AA)."""


def rgb(colour: str) -> tuple[int, int, int]:
    """The red, green and blue (0 to 255) of a hex colour or a computed `rgb()`/`rgba()` value; a see-through
    colour is refused, since its contrast depends on what shows through."""
    colour = colour.strip().lower()
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    found = re.fullmatch(r"rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)(?:\s*[,/]\s*([\d.]+))?\s*\)", colour)
    if not found:
        raise ValueError(f"not a colour: {colour!r}")
    *channels, alpha = found.groups()
    if alpha is not None and float(alpha) != 1:
        raise ValueError(f"a see-through colour has no contrast of its own: {colour!r}")
    return tuple(int(part) for part in channels)


def luminance(colour: str) -> float:
    """Relative luminance: 0 for black, 1 for white."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = map(linear, rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The contrast ratio of two colours, 1 (the same) to 21 (black on white), whichever is in front."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
