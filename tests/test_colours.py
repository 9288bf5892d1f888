"""The contrast function, and every text colour of the public pages and the dashboard against its background in the
light and the dark scheme, read from the stylesheets' variables."""
import re
from pathlib import Path

import pytest

from .contrast import AA_TEXT, contrast, luminance, rgb

ROOT = Path(__file__).resolve().parent.parent
DARK = "@media (prefers-color-scheme: dark)"
PAGES_PAIRS = [("fg", "bg"), ("muted", "bg"), ("link", "bg"), ("bg", "link"), ("ok", "bg"), ("bad", "bg"),
               ("warn", "bg"), ("fg", "ok-bg"), ("fg", "bad-bg"), ("fg", "warn-bg"), ("ok", "ok-bg"),
               ("bad", "bad-bg"), ("warn", "warn-bg"), ("link", "ok-bg")]
"""Text on background as pages.css uses them, and as others may: a state's colour on its own tint."""
DASHBOARD_PAIRS = [("ink", "bg"), ("muted", "bg"), ("soft", "bg"), ("faint", "bg"), ("link", "bg"), ("bg", "link"),
                   ("warn", "bg"), ("official", "bg"), ("ink", "outage-bg"), ("ink", "code-bg"), ("ink", "bad-bg")]


def _variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*([^;}]+)", block))


def schemes(path: Path) -> dict[str, dict[str, str]]:
    """The colour variables of a stylesheet's :root, light and with its dark block applied."""
    css = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    head, _, rest = css.partition(DARK)
    light = {}
    for block in re.findall(r":root\s*\{([^}]*)\}", head):
        light.update(_variables(block))
    dark_block = re.match(r"\s*\{\s*:root\s*\{([^}]*)\}", rest)
    assert dark_block, f"{path.name} has no dark :root block"
    return {"light": light, "dark": {**light, **_variables(dark_block.group(1))}}


def test_black_on_white_is_twenty_one_to_one_whichever_is_in_front():
    assert contrast("#000", "#fff") == contrast("#ffffff", "rgb(0, 0, 0)") == 21


def test_a_colour_against_itself_is_one_to_one():
    assert contrast("#0b57d0", "rgb(11, 87, 208)") == 1


def test_grey_777_on_white_just_misses_the_text_minimum():
    assert 4.47 < contrast("#777", "#fff") < AA_TEXT < contrast("#767676", "#fff")


def test_colours_are_read_in_every_form_css_and_browsers_write():
    assert rgb("#abc") == rgb("#aabbcc") == rgb("rgb(170, 187, 204)") == rgb("rgba(170, 187, 204, 1)") == (170, 187, 204)
    assert luminance("#fff") == 1 and luminance("#000") == 0


@pytest.mark.parametrize("colour", ["rgba(0, 0, 0, 0)", "rgba(255, 255, 255, 0.7)", "transparent", "red"])
def test_a_see_through_or_named_colour_is_refused(colour):
    with pytest.raises(ValueError):
        rgb(colour)


@pytest.mark.parametrize("path, pairs", [(ROOT / "aggregator/static/pages.css", PAGES_PAIRS),
                                         (ROOT / "dashboards/static/dashboard.css", DASHBOARD_PAIRS)],
                         ids=["pages", "dashboard"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_colour_keeps_aa_contrast_in_both_schemes(path, pairs, scheme):
    colours = schemes(path)[scheme]
    weak = [(fg, bg, round(contrast(colours[fg], colours[bg]), 2)) for fg, bg in pairs
            if contrast(colours[fg], colours[bg]) < AA_TEXT]
    assert weak == []


@pytest.mark.parametrize("path", ["aggregator/static/pages.css", "dashboards/static/dashboard.css"])
def test_the_dark_scheme_is_dark_and_the_light_one_light(path):
    found = schemes(ROOT / path)
    assert luminance(found["light"]["bg"]) > 0.9 and luminance(found["dark"]["bg"]) < 0.02
