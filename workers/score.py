"""Tail probabilities of counts: how surprising a count is under Poisson or negative-binomial noise."""
from __future__ import annotations

import math

LN10 = math.log(10)

POISSON_BELOW = 1e-3
"""Dispersion × mean under which the negative binomial is treated as Poisson (the gamma part is negligible)."""

EXACT_FROM_Z = 2.0
"""Below this many standard deviations above the mean the normal approximation is good enough (and cheaper):
right-skewed count tails are never lighter than the normal one, so it can only overstate a small score."""

_TINY = 1e-300
_EPS = 1e-12


def _log_poisson_upper(count: float, mean: float) -> float:
    """ln P(X >= count) for X ~ Poisson(mean), count > mean: the regularized lower incomplete gamma P(count, mean)."""
    # Series for gamma(a, x) / Gamma(a) with a = count, x = mean; it converges fast because x < a here.
    a, x = count, mean
    term = total = 1.0 / a
    n = 1
    while n < 10_000:
        term *= x / (a + n)
        total += term
        if term < total * _EPS:
            break
        n += 1
    return -x + a * math.log(x) - math.lgamma(a) + math.log(total)


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def _log_beta_inc(a: float, b: float, x: float) -> float:
    """ln I_x(a, b), the regularized incomplete beta function, accurate when it is tiny."""
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return log_front + math.log(_beta_cf(a, b, x)) - math.log(a)
    # The complement converges here; it is only taken where the result is not tiny, so 1 - … loses nothing.
    rest = math.exp(log_front) * _beta_cf(b, a, 1.0 - x) / b
    return math.log(max(1.0 - rest, _TINY))


def _normal_log10(z: float) -> float:
    return -math.log10(max(0.5 * math.erfc(z / math.sqrt(2.0)), _TINY))


def tail_log10(count: float, mean: float, dispersion: float = 0.0) -> float:
    """-log10 P(X >= count) for counts of this mean and variance mean + dispersion × mean²: 10 is one in 10^10."""
    # Dispersion 0 is Poisson; above it a negative binomial (a Poisson whose rate wanders with a gamma
    # distribution, as real report rates do). Counts need not be whole: the gamma and beta functions continue
    # the tails between them.
    if count <= mean:
        return 0.0
    mean = max(mean, 1e-9)
    z = (count - mean) / math.sqrt(mean + dispersion * mean * mean)
    if z < EXACT_FROM_Z:
        return _normal_log10(z)
    if dispersion * mean < POISSON_BELOW:
        log_p = _log_poisson_upper(count, mean)
    else:
        size = 1.0 / dispersion
        log_p = _log_beta_inc(count, size, mean / (mean + size))
    return max(0.0, -log_p / LN10)


def poisson_tail_log10(count: float, mean: float) -> float:
    """-log10 P(X >= count) for X ~ Poisson(mean): 0 when unsurprising, 10 for a one-in-ten-billion count."""
    return tail_log10(count, mean, 0.0)
