"""Module: the base of layers and networks; finds its parameters by walking its attributes."""

import numpy as np

import autograd
from autograd import Scalar, Tensor
from autograd.files import write_atomically

from .files import read_arrays


class Module:
    """Base class of layers and networks, in PyTorch's shape: subclasses set parameters (leaf
    Tensors or Scalars with requires_grad=True) and sub-modules as attributes, or in lists of
    them, and define `forward`. Calling the module calls `forward`."""

    def forward(self, *inputs):
        """The computation of the module; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module ("" for itself) and every sub-module, depth
        first in attribute order. Each module is listed once, under its first name, so a
        sub-module that refers back to its parent (or any cycle) is not followed again."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{key}" if name else key, value)
                        for key, value in _walk(module) if isinstance(value, Module)]
            stack.extend(reversed(children))

    def named_parameters(self):
        """(dotted name, parameter) for every parameter, e.g. ("layers.0.weight", Tensor): every
        leaf Tensor or Scalar held by the module or its sub-modules, frozen ones
        (`requires_grad_(False)`) included, as in PyTorch. A parameter shared by several
        modules is listed once, under its first name."""
        seen = set()
        for module_name, module in self.named_modules():
            for key, value in _walk(module):
                if isinstance(value, (Tensor, Scalar)) and value.op is None \
                        and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{module_name}.{key}" if module_name else key), value

    def parameters(self):
        """Every parameter, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter (None, as PyTorch does; zeros if asked)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            else:
                p.zero_grad()

    def save(self, path):
        """Write every parameter, frozen or not, to a `.npz` file (numpy's format, no pickle),
        named as in `named_parameters()`. The file is written whole or not at all: it goes to a
        fresh temporary file beside `path`, which then replaces `path` in one step. `path` may
        also be an open binary file, which is written as it is."""
        arrays = {name: np.asarray(p.data, dtype=np.float64 if isinstance(p, Scalar) else None)
                  for name, p in self.named_parameters()}
        if hasattr(path, "write"):
            np.savez(path, **arrays)
        else:
            write_atomically({path: lambda file: np.savez(file, **arrays)})

    def load(self, path):
        """Read parameters written by `save`. Names and shapes must match this module's; on any
        mismatch a FileFormatError (a ValueError) lists the differences, naming the file, and
        the module is left unchanged. The file's declared sizes are checked before anything is
        read, so a corrupt or hostile file never allocates more than the model's own size."""
        mine = dict(self.named_parameters())
        arrays = read_arrays(path, {name: np.shape(p.data) for name, p in mine.items()})
        new = {name: float(arrays[name]) if isinstance(p, Scalar) else
               arrays[name].astype(p.data.dtype) for name, p in mine.items()}
        with autograd.no_grad():
            for name, p in mine.items():  # only now, when every array is ready; in place,
                p.copy_(new[name])        # so a graph recorded before the load refuses to run

    def __repr__(self):
        """The module and its sub-modules as an indented tree (a module met a second time, as
        in a cycle, is named, not expanded again)."""
        lines, seen = [], set()
        stack = [("", self, 0)]  # (label, module or closing text, depth)
        while stack:
            label, module, depth = stack.pop()
            indent = "  " * depth
            if isinstance(module, str):  # the closing parenthesis of an expanded module
                lines.append(indent + module)
                continue
            children = [(key, value) for key, value in _walk(module) if isinstance(value, Module)]
            if id(module) in seen:
                lines.append(f"{indent}{label}{type(module).__name__}(...) (shown above)")
                continue
            seen.add(id(module))
            if type(module).__repr__ is not Module.__repr__ or not children:
                text = repr(module) if type(module).__repr__ is not Module.__repr__ \
                    else f"{type(module).__name__}()"
                lines.append(indent + label + text.replace("\n", "\n" + indent))
                continue
            lines.append(f"{indent}{label}{type(module).__name__}(")
            stack.append((")", ")", depth))
            stack.extend((f"({key}): ", child, depth + 1) for key, child in reversed(children))
        return "\n".join(lines)


def _walk(module):
    """(name, value) for the attributes of `module`, lists and tuples flattened as name.i (a
    list that contains itself is walked once)."""
    seen = set()
    for key, value in vars(module).items():
        stack = [(key, value)]
        while stack:
            name, item = stack.pop()
            if isinstance(item, (list, tuple)):
                if id(item) not in seen:
                    seen.add(id(item))
                    stack.extend(reversed([(f"{name}.{i}", sub) for i, sub in enumerate(item)]))
            else:
                yield name, item
