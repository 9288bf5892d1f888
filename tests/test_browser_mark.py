"""The `browser` mark: `pytest -m "not browser"` runs everything but the tests that start Chromium."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OTHER = "tests/test_badge.py"


def _collected(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_not_browser_leaves_out_every_test_that_starts_chromium_and_keeps_the_others():
    in_browser = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "tests").glob("test_*_in_browser.py"))
    everything = _collected(*in_browser, OTHER)
    assert {test.split("::")[0] for test in everything} == {*in_browser, OTHER}
    assert _collected("-m", "not browser", *in_browser, OTHER) == [t for t in everything if t.startswith(OTHER)]
