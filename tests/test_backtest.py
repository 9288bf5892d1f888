"""`python -m aggregator backtest`: CSVs written here replayed through detection by the real command."""
import json
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.outages import poisson

ROOT = Path(__file__).resolve().parents[1]
FIRST = datetime(2026, 1, 5, tzinfo=timezone.utc)


def _backtest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aggregator", "backtest", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def _write(path: Path, step: timedelta, days: float, spike_at: datetime | None, per_step: float = 10.0,
           floats: bool = False, skip: tuple[datetime, datetime] | None = None, seed: int = 1) -> Path:
    """A series with `per_step` reports a row, a twenty-fold spike for half an hour from `spike_at`."""
    rng = random.Random(seed)
    rows = ["timestamp,value"]
    ts = FIRST
    while ts < FIRST + timedelta(days=days):
        if skip is None or not skip[0] <= ts < skip[1]:
            mean = per_step * (20 if spike_at is not None and spike_at <= ts < spike_at + timedelta(minutes=30) else 1)
            value = poisson(rng, mean) if mean < 500 else round(rng.gauss(mean, mean ** 0.5))
            rows.append(f"{ts:%Y-%m-%d %H:%M:%S},{value * 1.5 if floats else value}")
        ts += step
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_planted_spike_in_five_minute_rows_is_found_with_its_start(tmp_path):
    spike = FIRST + timedelta(days=3, hours=14)
    path = _write(tmp_path / "five.csv", timedelta(minutes=5), 4, spike)
    done = _backtest(str(path))
    assert done.returncode == 0, done.stderr
    incidents = json.loads(done.stdout)
    assert [i["start"] for i in incidents] == ["2026-01-08T14:00:00Z"]
    assert incidents[0]["state"] == "outage"
    assert incidents[0]["peak"] > 100 and "2026-01-08T14:00:00Z" <= incidents[0]["peak_at"] < "2026-01-08T14:30:00Z"
    assert incidents[0]["end"] >= "2026-01-08T14:30:00Z"


def test_one_minute_rows_with_float_values_find_the_spike(tmp_path):
    spike = FIRST + timedelta(days=2, hours=6, minutes=7)
    path = _write(tmp_path / "minute.csv", timedelta(minutes=1), 2.5, spike, per_step=2.0, floats=True)
    done = _backtest(str(path))
    assert done.returncode == 0, done.stderr
    incidents = json.loads(done.stdout)
    assert [i["start"] for i in incidents] == ["2026-01-07T06:07:00Z"]


def test_a_gap_in_the_rows_is_neither_an_incident_nor_in_the_way(tmp_path):
    gap = (FIRST + timedelta(days=2, hours=3), FIRST + timedelta(days=2, hours=9))
    spike = FIRST + timedelta(days=3, hours=2)
    path = _write(tmp_path / "gappy.csv", timedelta(minutes=5), 4, spike, skip=gap)
    done = _backtest(str(path))
    assert done.returncode == 0, done.stderr
    assert [i["start"] for i in json.loads(done.stdout)] == ["2026-01-08T02:00:00Z"]


def test_a_directory_gives_an_object_keyed_by_file_and_the_scorer_format_gives_starts(tmp_path):
    _write(tmp_path / "a.csv", timedelta(minutes=5), 4, FIRST + timedelta(days=3, hours=6))
    _write(tmp_path / "sub" / "b.csv" if (tmp_path / "sub").mkdir() is None else None, timedelta(minutes=5), 4, None,
           seed=2)
    (tmp_path / "notes.txt").write_text("not a series")
    done = _backtest(str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert sorted(result) == ["a.csv", "sub/b.csv"]
    assert [i["start"] for i in result["a.csv"]] == ["2026-01-08T06:00:00Z"]
    assert result["sub/b.csv"] == []
    scored = _backtest(str(tmp_path / "a.csv"), "--format", "scorer")
    assert json.loads(scored.stdout) == {"a.csv": ["2026-01-08 06:00:00"]}


def test_a_malformed_csv_exits_2_naming_the_file_and_line_without_a_traceback(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("timestamp,value\n2026-01-05 00:00:00,3\n2026-01-05 00:05:00,three\n")
    done = _backtest(str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == f"error: {path}: line 3: value 'three' is not a number"

    path.write_text("when,count\n2026-01-05 00:00:00,3\n")
    done = _backtest(str(path))
    assert done.returncode == 2 and "line 1" in done.stderr and "timestamp" in done.stderr

    path.write_text("timestamp,value\n2026-01-05 00:05:00,3\n2026-01-05 00:00:00,4\n")
    done = _backtest(str(path))
    assert done.returncode == 2 and "line 3" in done.stderr and "not after" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_progress_bar_goes_to_stderr_only_when_asked(tmp_path):
    path = _write(tmp_path / "five.csv", timedelta(minutes=5), 3, None)
    quiet = _backtest(str(path))
    loud = _backtest(str(path), "--progress")
    assert quiet.stderr == ""
    assert "five.csv" in loud.stderr
    assert json.loads(loud.stdout) == json.loads(quiet.stdout) == []
