"""`greedyness` (0-1) -> the offset of the linking rule `pair score > single score + offset`.

NeuralCoref's rule, offset = 50 * (0.5 - greedyness), was made for its model's score scale;
this project's models score within about +-2, so that rule linked everything from 0.55 on. Here
the offset comes from the model's own margins (best candidate's pair score minus the "no
antecedent" score, one per mention) on dev data, stored in the model's meta record as
`greedyness_calibration` by `bin/calibrate-greedyness`:

* greedyness 0 links nothing and 1 links every mention that has a candidate (offsets +-inf);
* 0.5 is offset 0, exactly the model's own decision (the dev-tuned default);
* in between, greedyness g links the share `links(g)` of the dev mentions, piecewise linear:
  between 0.2 and 0.8 it moves by `spread` (4% of the mentions) on either side of the model's
  own share, a fine adjustment (OntoGUM dev CoNLL F1 moves by under half a point a step of 0.05);
  below 0.2 and above 0.8 it goes on to linking nothing or everything (coarse: F1 falls fast).

The calibration is a table of offsets at greedyness knots (every 0.05), interpolated linearly.
A model file without one (an older model) uses offset = ln((1 - g) / g), the link-probability
reading of scores on a logit scale (0.5 -> 0, 0.25 -> +1.1, 0.75 -> -1.1).
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence

import numpy

CALIBRATION_KEY = "greedyness_calibration"
#: the greedyness of offset 0, the model's own decision (CorefSettings.greedyness, the default, is set to it)
NEUTRAL = 0.5
KNOTS = [round(k * 0.05, 2) for k in range(21)]
DEFAULT_SPREAD = 0.04
FINE_LOW, FINE_HIGH = 0.2, 0.8


def greedyness_offset(greedyness: float, calibration: Optional[Dict[str, Any]] = None) -> float:
    """The offset for `greedyness` (0-1): +inf at 0, 0.0 at 0.5, -inf at 1."""
    g = float(greedyness)
    if g <= 0.0:
        return math.inf
    if g >= 1.0:
        return -math.inf
    if g == NEUTRAL:
        return 0.0
    knots, offsets = _table(calibration)
    if knots is None:
        return math.log((1.0 - g) / g)
    return float(numpy.interp(g, knots, offsets))


def _table(calibration):
    """(knots, offsets) of a stored calibration, or (None, None) when there is none or it is malformed."""
    if not isinstance(calibration, dict):
        return None, None
    knots, offsets = calibration.get("greedyness"), calibration.get("offset")
    try:
        knots = numpy.asarray(knots, dtype="float64")
        offsets = numpy.asarray(offsets, dtype="float64")
    except (TypeError, ValueError):
        return None, None
    if (
        knots.ndim != 1
        or knots.shape != offsets.shape
        or len(knots) < 3
        or not numpy.all(numpy.diff(knots) > 0)
        or not numpy.all(numpy.isfinite(offsets))
        or NEUTRAL not in knots.tolist()
    ):
        return None, None
    return knots, offsets


def calibrate(
    margins: Sequence[float] | numpy.ndarray,
    spread: float = DEFAULT_SPREAD,
    knots: Sequence[float] = KNOTS,
    **info: Any,
) -> Dict[str, Any]:
    """The calibration record of a model from its dev margins (one per mention that has a candidate).

    The offset at knot g is the margin that the share `links(g)` of these mentions exceed.
    `links` is piecewise linear through (0, 0), (FINE_LOW, p0 - spread), (0.5, p0),
    (FINE_HIGH, p0 + spread), (1, 1), where p0 is the share the model links itself (offset 0):
    fine tuning between FINE_LOW and FINE_HIGH, then on to linking nothing or everything.
    0.5 maps to offset 0.0 exactly. `info` (the data, settings) is stored with the record.
    """
    m = numpy.sort(numpy.asarray(margins, dtype="float64"))
    if len(m) < 2:
        raise ValueError("need the margins of at least 2 mentions to calibrate greedyness")
    p0 = float((m > 0).mean())  # share linked at 0.5 (offset 0)
    xs = [0.0, FINE_LOW, NEUTRAL, FINE_HIGH, 1.0]
    ys = [0.0, max(p0 - spread, 0.0), p0, min(p0 + spread, 1.0), 1.0]
    offsets = []
    for g in knots:
        share = float(numpy.interp(g, xs, ys))
        if g == NEUTRAL:
            offsets.append(0.0)
        elif share <= 0.0:
            offsets.append(float(m[-1] + 1e-3))  # above every margin: links nothing
        elif share >= 1.0:
            offsets.append(float(m[0] - 1e-3))  # below every margin: links everything
        else:
            offsets.append(float(numpy.quantile(m, 1.0 - share)))
    # offsets must fall as greedyness rises, with 0.5 at exactly 0
    falling = numpy.asarray(offsets)
    half = list(knots).index(NEUTRAL)
    falling[:half] = numpy.maximum(falling[:half], 1e-6)
    falling[half + 1 :] = numpy.minimum(falling[half + 1 :], -1e-6)
    falling = numpy.maximum.accumulate(falling[::-1])[::-1]
    return {
        "greedyness": [float(k) for k in knots],
        "offset": [float(o) for o in falling],
        "spread": float(spread),
        "linked_at_default": round(p0, 4),
        "n_mentions": int(len(m)),
        **info,
    }
