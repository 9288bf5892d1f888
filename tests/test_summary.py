"""Percent shares round by largest remainder so that they always add up to 100."""
import math

import pytest

from workers.summary import percent_shares


def _tenths(shares):
    """The shares in whole tenths of a percent, so that adding them up is exact."""
    return sum(round(value * 10) for value in shares.values())


def test_an_even_three_way_split_adds_up_to_100_with_the_spare_tenth_going_first_by_name():
    shares = percent_shares({"c": 1, "b": 1, "a": 1})
    assert shares == {"a": 33.4, "b": 33.3, "c": 33.3}
    assert _tenths(shares) == 1000
    assert math.fsum(shares.values()) == 100.0


@pytest.mark.parametrize("counts", [
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1],
    [2, 1],
    [1, 1, 1, 97],
    [1, 2, 3, 7, 11, 13],
    [1, 999_999],
    [333, 333, 334],
])
def test_awkward_splits_add_up_to_100_and_each_share_is_within_a_tenth(counts):
    named = {f"part-{n}": count for n, count in enumerate(counts)}
    shares = percent_shares(named)
    assert _tenths(shares) == 1000
    assert sum(shares.values()) == pytest.approx(100.0)
    for name, count in named.items():
        assert abs(shares[name] - count * 100 / sum(counts)) < 0.1


def test_the_largest_remainders_get_the_spare_tenths():
    # In tenths 142.857…, 285.714…, 571.428…: the two spare tenths go to the .857 and .714 remainders.
    assert percent_shares({"a": 1, "b": 2, "c": 4}) == {"c": 57.1, "b": 28.6, "a": 14.3}


def test_whole_percents_add_up_to_100_too():
    shares = percent_shares({"a": 1, "b": 1, "c": 1}, decimals=0)
    assert shares == {"a": 34, "b": 33, "c": 33}


def test_shares_are_listed_largest_first():
    assert list(percent_shares({"small": 1, "large": 5, "middle": 3})) == ["large", "middle", "small"]


def test_names_with_no_count_get_no_share():
    assert percent_shares({"website": 3, "api": 0}) == {"website": 100.0}


def test_no_counts_give_no_shares():
    assert percent_shares({}) == {}
    assert percent_shares({"website": 0, "api": 0}) == {}
