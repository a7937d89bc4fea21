"""gategrad's neural-network package: modules, MLPs, the loss family, SGD, data, training
and a live view of training (nn.LiveView, nn.fit(..., live=True)).

Built on `autograd` through its public names only.
"""

from . import data, losses
from .files import FileFormatError
from .layers import MLP, Linear
from .live import LiveView
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                     entropy, kl_divergence, mse, nll_loss, sse)
from .module import Module
from .optim import SGD
from .training import accuracy, evaluate, fit

__all__ = [
    "Module", "Linear", "MLP", "SGD", "fit", "LiveView", "evaluate", "accuracy", "data", "losses",
    "FileFormatError",
    "sse", "mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "nll_loss", "kl_divergence", "entropy",
]
