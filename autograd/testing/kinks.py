"""When a disagreement between a gradient and central differences is the step's fault, not
the gradient's: kinks and steep curvature.

Central differences across a kink give the mean of the two one-sided slopes, which no
framework's gradient gives (PyTorch's relu at 0 gives 0, max at a tie splits, abs gives 0), so
a check would call a right gradient wrong there; and where f bends sharply within the step,
central differences have not converged. A disagreement found with step eps is excused when
- central differences with a step ten times smaller agree with the gradient (the step was too
  large: steep curvature, or a kink within eps but not within eps/10), or
- the function has a kink at the point: the one-sided slopes over eps/10 differ by more than the
  tolerance and by at least 0.3 times as much as over eps (a kink's gap does not shrink with
  the step; curvature's shrinks tenfold), and the gradient lies between them (a one-sided
  derivative or a mix of the two, as every framework's rule at a kink gives).
A wrong rule at a smooth point is still caught: there central differences converge to the true
derivative and the one-sided slopes agree, so neither condition holds.
"""

import numpy as np

SHRINK = 10
"""How much smaller the second step is."""


def one_sided(move, eps):
    """The slopes of `move(t)` (the function's value a step t along a direction, or the array
    of its terms) to the left and to the right of t = 0, over one step `eps`."""
    here = np.asarray(move(0.0), dtype=np.float64)
    return ((here - np.asarray(move(-eps), dtype=np.float64)) / eps,
            (np.asarray(move(eps), dtype=np.float64) - here) / eps)


def at_kink(move, eps, analytic, tolerance, between=True):
    """True when `analytic` (a gradient along a direction) disagrees with central differences
    over `eps` only because of the step (see the module's text). `move(t)` is the value a step
    t along the direction, or the array of its terms (the weighted output elements), which
    lets kinks in several terms at once be told apart. `tolerance(slope, step)` is the
    allowed error of a difference quotient of that size over that step.

    `between=False` drops the condition that the gradient lies between the one-sided slopes,
    for a random direction at a point whose every element has passed the check on its own
    already: a direction that crosses several kinks at once has one-sided slopes that no
    single choice of subgradients need lie between."""
    small = eps / SHRINK
    with np.errstate(all="ignore"):
        central = float(np.sum(np.asarray(move(small), dtype=np.float64)
                               - np.asarray(move(-small), dtype=np.float64))) / (2 * small)
        if np.isfinite(central) and abs(analytic - central) <= tolerance(central, small):
            return True
        wide = one_sided(move, eps)
        left, right = one_sided(move, small)
    if not all(np.all(np.isfinite(v)) for v in (*wide, left, right)):
        return False
    # term by term: each term (an output element) may sit at a kink of its own, and each
    # rule picks a subgradient per element, so the gradient lies in the sum of the intervals
    low, high = float(np.sum(np.minimum(left, right))), float(np.sum(np.maximum(left, right)))
    slack = 2 * tolerance(max(abs(low), abs(high)), small)
    gap, wide_gap = float(np.sum(np.abs(left - right))), float(np.sum(np.abs(wide[0] - wide[1])))
    if gap <= slack or gap < 0.3 * wide_gap:
        return False
    return not between or low - slack <= analytic <= high + slack
