"""Kinks: points where a function has no derivative (relu at 0, max at a tie, abs at 0).

Central differences across a kink give the mean of the two one-sided slopes, which no
framework's gradient gives (PyTorch's relu at 0 gives 0, max at a tie splits, abs gives 0), so
a check would call a right gradient wrong there. A disagreement is a kink, not a failure, when
the one-sided differences disagree with each other (the derivative does not exist within the
step) and the gradient lies between them (a one-sided derivative or a mix of the two, as every
framework's rule at a kink gives). A wrong rule at a smooth point is still caught: there the
one-sided slopes agree, so the interval between them is as narrow as the tolerance.
"""

import numpy as np


def one_sided(move, eps):
    """The slopes of `move(t)` (the function's value a step t along a direction) to the left
    and to the right of t = 0, over one step `eps`."""
    here = move(0.0)
    return (here - move(-eps)) / eps, (move(eps) - here) / eps


def at_kink(move, eps, analytic, tolerance, between=True):
    """True when `analytic` (a gradient along a direction) disagrees with central differences
    only because the function has a kink within `eps`: its one-sided slopes differ by more than
    `tolerance(slope)` and `analytic` lies between them (within that tolerance).

    `between=False` drops the second condition, for a random direction at a point whose every
    element has passed the check on its own already: a direction that crosses several kinks
    at once has one-sided slopes that no single choice of subgradients need lie between."""
    with np.errstate(all="ignore"):
        left, right = one_sided(move, eps)
    if not (np.isfinite(left) and np.isfinite(right)):
        return False
    slack = tolerance(max(abs(left), abs(right)))
    return abs(left - right) > slack and (
        not between or min(left, right) - slack <= analytic <= max(left, right) + slack)
