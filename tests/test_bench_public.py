"""`python -m bench public` with one round of one second a side: it runs and prints every figure it promises."""
import re
import subprocess
import sys

import pytest


@pytest.mark.browser
def test_the_public_page_benchmark_prints_both_rates_their_ratio_and_the_page_weight():
    # A process of its own: Playwright's sync API cannot start inside the test session's running one.
    done = subprocess.run([sys.executable, "-c", "from bench import public; public.main(seconds=1, rounds=1)"],
                          capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"GET /claude \([\d,]+ bytes of HTML\)", out), out
    rates = re.findall(r"^  (bare Flask page|service page /claude)[^:]*: ([\d,]+) pages/s \(200\)", out, re.M)
    assert [name for name, _ in rates] == ["bare Flask page", "service page /claude"], out
    assert re.search(r"ratio service ÷ bare: \d+\.\d\d \(target ≥ 0\.5\)", out), out
    weight = re.search(r"page weight in Chromium: ([\d,]+) bytes in (\d+) requests \(.*document [\d,]+.*\); "
                       r"target ≤ [\d,]+; scripts: (none|yes)", out)
    assert weight and int(weight[1].replace(",", "")) > 0 and int(weight[2]) >= 1, out
