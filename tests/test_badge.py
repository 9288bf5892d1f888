"""The badge SVG as a pure function: valid XML, escaped text, boxes that grow with their text."""
import xml.etree.ElementTree as ET

from aggregator import badge

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_a_badge_is_valid_svg_with_its_label_and_message():
    root = ET.fromstring(badge.render("claude", badge.LOOKS["ok"]))
    assert root.tag == f"{SVG}svg"
    assert root.get("height") == "20"
    assert root.find(f"{SVG}title").text == "claude: ok"
    assert _texts(badge.render("claude", badge.LOOKS["ok"])) == ["claude", "ok"]


def test_markup_in_a_label_stays_text():
    label = '<img src=x onerror="alert(1)"> & co'
    svg = badge.render(label, badge.LOOKS["outage"])
    root = ET.fromstring(svg)
    assert _texts(svg)[0] == label
    assert root.get("aria-label") == f"{label}: outage"
    assert not root.findall(f".//{SVG}img") and "<img" not in svg


def test_the_boxes_are_as_wide_as_their_text():
    short, long = badge.render("ai", badge.LOOKS["ok"]), badge.render("a-much-longer-service", badge.LOOKS["ok"])
    assert int(ET.fromstring(long).get("width")) > int(ET.fromstring(short).get("width")) + 80
    root = ET.fromstring(badge.render("claude", badge.LOOKS["degraded"]))
    left = round(badge.text_width("claude") + 2 * badge.PADDING)
    right = round(badge.text_width("possible problems") + 2 * badge.PADDING)
    assert root.get("width") == root.find(f"{SVG}rect").get("width") == str(left + right)
    assert root.find(f"{SVG}path").get("d").startswith(f"M{left} 0h{right - badge.RADIUS}")
    assert [float(t.get("x")) for t in root.iter(f"{SVG}text")] == [left / 2, left + right / 2]


def test_a_badge_has_no_ids_to_clash_with_another_on_the_same_page():
    assert "id=" not in badge.render("claude", badge.LOOKS["ok"])


def test_wide_letters_are_estimated_wider_than_narrow_ones():
    assert badge.text_width("mmmm") > badge.text_width("iiii") * 2
    assert badge.text_width("") == 0
