"""Detection quality and speed: NAB realTweets against the reference detector, simulated outages, and one
minute's evaluation of 1,000 services."""
from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workers.detect import Config, Detector, Track, evaluate, history_buckets, learn_profile

from . import outages

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
NAB = SHARED / "data" / "nab"
SCORER = SHARED / "tools" / "score_detections.py"
REFERENCE = SHARED / "tools" / "baseline_detector.py"

SIMULATED_SERVICES = 90
SERVICES = 1000


def _score(detections: Path, out: Path) -> dict:
    subprocess.run([sys.executable, str(SCORER), str(NAB), str(detections), "--json-out", str(out), "--quiet"],
                   check=True, capture_output=True, text=True)
    return json.loads(out.read_text())["total"]


def nab() -> None:
    """Backtest every realTweets series through the CLI, run the reference detector, score both the same way."""
    if not (NAB / "realTweets").is_dir() or not SCORER.is_file() or not REFERENCE.is_file():
        print(f"detect: skipped NAB — {NAB.relative_to(SHARED.parent)} or the tools beside it are absent")
        return
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        started = time.perf_counter()
        ours = subprocess.run([sys.executable, "-m", "aggregator", "backtest", str(NAB / "realTweets"),
                               "--format", "scorer", "--no-progress"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout
        seconds = time.perf_counter() - started
        (work / "ours.json").write_text(ours)
        subprocess.run([sys.executable, str(REFERENCE), str(NAB / "realTweets"), "--out", str(work / "ref.json")],
                       check=True, capture_output=True, text=True)
        results = {"backtest": _score(work / "ours.json", work / "ours-score.json"),
                   "reference": _score(work / "ref.json", work / "ref-score.json")}
    rows = sum(1 for _ in (NAB / "realTweets").glob("*.csv"))
    print(f"detect: NAB realTweets ({rows} series), incident starts only, scored by score_detections.py "
          f"(backtest took {seconds:.1f} s)")
    print(f"  {'':12} {'standard':>9} {'recall':>7} {'FA/1k':>6} {'delay':>6} {'from label':>10}")
    for name, total in results.items():
        print(f"  {name:12} {total['nab_normalised']['standard']:9.2f} {total['recall']:7.3f} "
              f"{total['fa_per_1k']:6.3f} {total['delay_median_points']:6.1f} "
              f"{total['delay_from_label_median_points']:10.1f}")
    ratio = results["backtest"]["nab_normalised"]["standard"] / results["reference"]["nab_normalised"]["standard"]
    print(f"  standard score ratio backtest / reference: {ratio:.2f} (delays in 5-minute points)")


def simulated() -> None:
    started = time.perf_counter()
    result = outages.simulate(SIMULATED_SERVICES)
    print(f"detect: simulated outages, {SIMULATED_SERVICES} services ({time.perf_counter() - started:.0f} s): "
          f"{outages.describe(result)}")


def _history(rng: random.Random, now: float) -> tuple[float, list[tuple[float, float]]]:
    """A service's rate (reports a minute, 0.05 to 50) and three weeks of its hourly counts."""
    base = math.exp(rng.uniform(math.log(0.05), math.log(50)))
    return base, [(now - h * 3600.0, float(outages.poisson(rng, 60 * base))) for h in range(21 * 24, 0, -1)]


def timing() -> None:
    """One minute of the live job's detection work for 1,000 services: expected counts, assess and step."""
    rng = random.Random(5)
    config = Config()
    now = 1_767_225_600.0 + 30 * 86400
    # A detector per size of service calibrates a track on four days of minutes, for services to start from.
    warm = {}
    for base in (0.05, 2.0, 50.0):
        detector = Detector(60, config)
        for minute in range(4 * 1440):
            detector.observe(now - (4 * 1440 - minute) * 60.0, float(outages.poisson(rng, base)))
        warm[base] = detector.track.to_dict()
    histories = [_history(rng, now) for _ in range(SERVICES)]
    started = time.perf_counter()
    profiles = [learn_profile(hourly, now // 3600 * 3600) for _, hourly in histories]
    learned = time.perf_counter() - started
    minutes = history_buckets(config, 60)
    starts = [now - (minutes - i) * 60.0 for i in range(minutes)]
    inputs = []
    for (base, _), profile in zip(histories, profiles):
        factor = 10.0 if rng.random() < 0.02 else 1.0  # a few services are in an outage right now
        counts = [float(outages.poisson(rng, profile.expected(s, 60) * (factor if i > minutes - 20 else 1.0)))
                  for i, s in enumerate(starts)]
        tier = 0.05 if base < 0.5 else 2.0 if base < 10 else 50.0
        inputs.append((profile, counts, warm[tier]))
    started = time.perf_counter()
    opened = 0
    for profile, counts, stored in inputs:
        expected = [profile.expected(s, 60) for s in starts]
        _, after = evaluate(profile, starts, counts, Track.from_dict(stored), config, 60, expected)
        opened += after.state.value != "ok"
    seconds = time.perf_counter() - started
    print(f"detect: one minute of {SERVICES:,} services (tracks read from their stored form, expected counts, "
          f"assess, step): {seconds:.2f} s (target 5 s), {opened} not ok; learning their profiles from three "
          f"weeks of hours (at most hourly): {learned:.1f} s")


def main() -> None:
    nab()
    simulated()
    timing()


if __name__ == "__main__":
    main()
