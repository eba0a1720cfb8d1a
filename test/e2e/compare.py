"""The comparisons every end-to-end check uses, written so that they fail.

A comparison that can pass on the error it exists to catch is worse than
none. Python's `max(0.0, nan)` is 0.0, `nan > tol` is False, `zip` stops at
the shorter list and NumPy broadcasts a (1,) array against any shape; each
helper here is written against those four: it fails on a NaN or an infinity
the reference does not have, on a wrong shape, and on a missing output.
check_comparators.py proves it for every helper listed in HELPERS, and
refuses the NaN-blind idioms anywhere else in the suite.

Results are `Result`s: truthy when the check passed, with a detail line that
says where it failed (or the largest error when it passed).
"""
import math
import os
import sys

import numpy as np


class Result:
    """The outcome of one comparison: `bool(result)` and a detail line."""

    def __init__(self, ok, detail, error=0.0):
        self.ok = bool(ok)
        self.detail = detail
        self.error = error  # The largest error measured (inf when unmeasurable).

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return "%s: %s" % ("pass" if self.ok else "FAIL", self.detail)


def _array(value):
    if value is None:
        return None
    if hasattr(value, "detach"):  # A torch tensor.
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _shape_mismatch(got, want, what):
    if got is None:
        return Result(False, "%s is missing" % what, math.inf)
    if got.shape != want.shape:
        return Result(False, "%s has shape %s, expected %s" % (what, got.shape, want.shape),
                      math.inf)
    return None


def close(got, want, rtol, atol, what="output", equal_nan=False):
    """|got - want| <= atol + rtol * |want| element by element, shapes equal
    (|atol| a number or an array of |want|'s shape).

    A NaN or infinity in |got| fails unless |want| has the same value at the
    same place (a NaN only with |equal_nan|); an infinity must match in sign.
    The error is measured in float64 whatever the dtypes."""
    want = _array(want)
    got = _array(got)
    bad = _shape_mismatch(got, want, what)
    if bad is not None:
        return bad
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    g_nan, w_nan = np.isnan(g), np.isnan(w)
    if equal_nan:
        wrong_nan = g_nan != w_nan
    else:
        wrong_nan = g_nan | w_nan
    if np.any(wrong_nan):
        i = np.unravel_index(int(np.argmax(wrong_nan)), g.shape) if g.ndim else ()
        return Result(False, "%s%s is %r, expected %r (NaN)" % (what, list(i), g[i], w[i]),
                      math.inf)
    inf = np.isinf(g) | np.isinf(w)
    if np.any(inf & (g != w)):
        i = np.unravel_index(int(np.argmax(inf & (g != w))), g.shape) if g.ndim else ()
        return Result(False, "%s%s is %r, expected %r (infinity)" % (what, list(i), g[i], w[i]),
                      math.inf)
    finite = ~(inf | g_nan)
    err = np.where(finite, np.abs(g - w), 0.0)
    # |atol| may be an array of |want|'s shape (a tolerance per element).
    bound = np.broadcast_to(atol + rtol * np.abs(np.where(finite, w, 0.0)), g.shape)
    worst = float(err.max()) if err.size else 0.0
    if err.size and not np.all(err <= bound):
        i = np.unravel_index(int(np.argmax(err - bound)), g.shape) if g.ndim else ()
        return Result(False, "%s%s is %.9g, expected %.9g (|diff| %.3g > allowed %.3g)"
                      % (what, list(i), g[i], w[i], err[i], bound[i]), worst)
    return Result(True, "max abs err %.3g (rtol %g, atol %s)" % (
        worst, rtol, "%g" % atol if np.ndim(atol) == 0 else "per element"), worst)


def equal(got, want, what="output", equal_nan=True):
    """Exactly equal: shape, dtype and every value (NaN equals NaN at the
    same place unless |equal_nan| is False)."""
    want = _array(want)
    got = _array(got)
    bad = _shape_mismatch(got, want, what)
    if bad is not None:
        return bad
    if got.dtype != want.dtype:
        return Result(False, "%s has dtype %s, expected %s" % (what, got.dtype, want.dtype),
                      math.inf)
    same = got == want
    if equal_nan and got.dtype.kind in "fc":
        same = same | (np.isnan(got) & np.isnan(want))
    if not np.all(same):
        i = np.unravel_index(int(np.argmin(same)), got.shape) if got.ndim else ()
        return Result(False, "%s%s is %r, expected %r" % (what, list(i), got[i], want[i]),
                      math.inf)
    return Result(True, "%s equal, shape %s" % (what, got.shape))


def bits_equal(got, want, what="output"):
    """The same bytes (arrays: also the same shape and dtype)."""
    if got is None:
        return Result(False, "%s is missing" % what, math.inf)
    if isinstance(want, (bytes, bytearray)):
        if bytes(got) != bytes(want):
            n = min(len(got), len(want))
            at = next((i for i in range(n) if got[i] != want[i]), n)
            return Result(False, "%s differs from byte %d (%d vs %d bytes)"
                          % (what, at, len(got), len(want)), math.inf)
        return Result(True, "%s: %d bytes identical" % (what, len(want)))
    got, want = _array(got), _array(want)
    bad = _shape_mismatch(got, want, what)
    if bad is not None:
        return bad
    if got.dtype != want.dtype:
        return Result(False, "%s has dtype %s, expected %s" % (what, got.dtype, want.dtype),
                      math.inf)
    return bits_equal(np.ascontiguousarray(got).tobytes(),
                      np.ascontiguousarray(want).tobytes(), what)


def all_close(got, want, rtol, atol, names=None, equal_nan=False):
    """close() for every output of a list; a missing or extra output fails."""
    return _each(close, got, want, names, rtol=rtol, atol=atol, equal_nan=equal_nan)


def all_equal(got, want, names=None):
    """equal() for every output of a list; a missing or extra output fails."""
    return _each(equal, got, want, names)


def _each(compare, got, want, names, **kwargs):
    got, want = list(got), list(want)
    names = list(names) if names else ["output %d" % i for i in range(len(want))]
    if len(got) != len(want):
        return Result(False, "%d outputs, expected %d" % (len(got), len(want)), math.inf)
    worst = Worst()
    for name, g, w in zip(names, got, want):
        r = compare(g, w, what=name, **kwargs)
        if not r:
            return r
        worst.add(r.error)
    return Result(True, "%d outputs; max abs err %.3g" % (len(want), worst.value), worst.value)


def relative_difference(got, want, floor=1e-300):
    """max |got - want| / max(max |want|, floor): a float, inf when a value
    is not finite (NaN included) or the shapes differ. For reports and
    limits on whole tensors (parameters after many steps)."""
    got, want = _array(got), _array(want)
    if got is None or want is None or got.shape != want.shape:
        return math.inf
    g, w = got.astype(np.float64), want.astype(np.float64)
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(w))):
        return math.inf
    if g.size == 0:
        return 0.0
    return float(np.abs(g - w).max() / max(float(np.abs(w).max()), floor))


class Worst:
    """A running maximum that never forgets a NaN (`max(0.0, nan)` is 0.0):
    once a NaN or None was added, `value` is NaN and `within` is False."""

    def __init__(self):
        self.value = 0.0

    def add(self, value):
        value = math.nan if value is None else float(value)
        if math.isnan(value) or math.isnan(self.value):
            self.value = math.nan
        else:
            self.value = max(self.value, value)
        return self

    def within(self, limit):
        """True when every value added was a number <= |limit|."""
        return not math.isnan(self.value) and self.value <= limit


def within(value, limit):
    """|value| is a number no larger than |limit| (NaN and None are not)."""
    if value is None:
        return False
    value = float(value)
    return not math.isnan(value) and value <= limit


def scalar_close(got, want, rtol, atol=0.0):
    """Two numbers: |got - want| <= atol + rtol * |want|, both finite."""
    return close(np.float64(got) if got is not None else None, np.float64(want),
                 rtol, atol, what="value")


# Every comparison helper, for check_comparators.py: a helper added here
# without being listed (and so proved) there fails that check.
HELPERS = ["close", "equal", "bits_equal", "all_close", "all_equal",
           "relative_difference", "Worst", "within", "scalar_close"]


def seed():
    """The seed of this run's random inputs: LATHE_TEST_SEED when set, a
    fresh one otherwise. Printed, so that a failed run can be repeated."""
    text = os.environ.get("LATHE_TEST_SEED")
    value = int(text) if text else int.from_bytes(os.urandom(4), "little")
    print("random seed %d (LATHE_TEST_SEED=%d repeats this run)" % (value, value))
    sys.stdout.flush()
    return value


def print_failed_seed(value):
    """The last line of a failed run: the seed that repeats it."""
    print("failed with random seed %d: rerun with LATHE_TEST_SEED=%d" % (value, value))


def main_with_seed(main):
    """Runs main(seed) and, when it fails, prints the seed again last."""
    value = seed()
    rc = main(value)
    if rc:
        print_failed_seed(value)
    return rc
