"""gategrad's automatic differentiation engine: one reverse-mode graph, two value types.

`Scalar` holds a Python float per node (small graphs you build by hand and look at);
`Tensor` holds a numpy array per node (real training). Every operation records a node;
`backward()` walks the graph in reverse topological order and applies each op's local
gradient rule from the table in `autograd.ops`.
"""

from .compile import backward_code, compile
from .functional import grad, hvp
from .draw import backward_steps, draw, explore
from .kernels import (clip, exp, log, log1p, maximum, minimum, power, relu, sigmoid, softplus,
                      sqrt, tanh)
# np.abs's name, left out of __all__ so that `from autograd import *` keeps the built-in abs
from .kernels import absolute as abs  # noqa: A004, F401
from .kernels import absolute
from .joining import concatenate, stack
from .labels import class_labels, mean_softmax_cross_entropy, softmax_cross_entropy
from .joining import concatenate as cat  # PyTorch's name
from .anomaly import AnomalyError  # (anomaly and origin install the core's diagnostic hooks)
from . import origin  # noqa: F401
from .errors import IndexShapeError, InPlaceError, ShapeError
from .factories import arange, ones, ones_like, randn, zeros, zeros_like
from .selection import where
from . import interop  # noqa: F401  (numpy's functions on graph values; loaded with the engine)
from .graph import backward, gradients, toposort, unbroadcast
from .modes import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad,
                    set_grad_enabled)
from .ops import OPS, Op, primitive
from .scalar import Scalar
from .tensor import Tensor
from .value import Value

__all__ = [
    "Scalar", "Tensor", "Value", "Op", "OPS", "primitive",
    "grad", "hvp", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "detect_anomaly", "is_anomaly_enabled", "AnomalyError", "InPlaceError",
    "backward", "gradients", "toposort", "unbroadcast", "draw", "backward_steps", "explore",
    "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "maximum", "concatenate", "stack",
    "minimum", "absolute", "log1p", "softplus", "clip", "power",
    "softmax_cross_entropy", "mean_softmax_cross_entropy", "class_labels", "compile", "backward_code",
    # the surface a numpy or PyTorch user types
    "ShapeError", "IndexShapeError", "where", "cat", "zeros", "ones", "zeros_like",
    "ones_like", "randn", "arange",
]
__version__ = "0.1.0"
