"""Module: the base of layers and networks; finds its parameters by walking its attributes."""

import os
import zipfile
from pathlib import Path

import numpy as np

from autograd import Scalar, Tensor


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
        """(dotted name, module) for this module ("" for itself) and every sub-module."""
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop(0)
            yield name, module
            children = [(f"{name}.{key}" if name else key, value)
                        for key, value in _walk(module) if isinstance(value, Module)]
            stack[:0] = children

    def named_parameters(self):
        """(dotted name, parameter) for every parameter, e.g. ("layers.0.weight", Tensor).
        A parameter shared by several modules is listed once, under its first name."""
        seen = set()
        for module_name, module in self.named_modules():
            for key, value in _walk(module):
                if isinstance(value, (Tensor, Scalar)) and value.requires_grad \
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
        """Write the parameters to a `.npz` file (numpy's format, no pickle), named as in
        `named_parameters()`. The file is written whole or not at all: it goes to a partial
        file beside `path` first, which then replaces `path`."""
        path = Path(path)
        arrays = {name: np.asarray(p.data, dtype=np.float64 if isinstance(p, Scalar) else None)
                  for name, p in self.named_parameters()}
        if not path.parent.is_dir():
            raise FileNotFoundError(f"save {path}: the directory {path.parent} does not exist")
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        file = open(partial, "xb")  # "x": never clobbers a file of the same name
        try:
            with file:
                np.savez(file, **arrays)
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def load(self, path):
        """Read parameters written by `save`. Names and shapes must match this module's; on any
        mismatch a ValueError lists the differences and the module is left unchanged."""
        arrays = _read_npz(path)
        mine = dict(self.named_parameters())
        problems = [f"missing in the file: {name}" for name in mine if name not in arrays]
        problems += [f"not in this model: {name}" for name in arrays if name not in mine]
        problems += [f"{name}: the file has shape {arrays[name].shape}, the model "
                     f"{np.shape(p.data)}" for name, p in mine.items()
                     if name in arrays and arrays[name].shape != np.shape(p.data)]
        problems += [f"{name}: the file holds {arrays[name].dtype} values, not numbers"
                     for name in mine if name in arrays and arrays[name].dtype.kind not in "biuf"]
        if problems:
            raise ValueError(f"load {path}: the parameters do not match this model; nothing was "
                             f"loaded:\n  " + "\n  ".join(problems))
        new = {name: float(arrays[name]) if isinstance(p, Scalar) else
               arrays[name].astype(p.data.dtype) for name, p in mine.items()}
        for name, p in mine.items():  # only now, when every array is ready
            p.data = new[name]

    def __repr__(self):
        children = [f"  ({name}): {module!r}".replace("\n", "\n  ")
                    for name, module in _walk(self) if isinstance(module, Module)]
        if not children:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n" + "\n".join(children) + "\n)"


def _walk(module):
    """(name, value) for the attributes of `module`, lists and tuples flattened as name.i."""
    for key, value in vars(module).items():
        if isinstance(value, (list, tuple)):
            stack = [(f"{key}.{i}", item) for i, item in enumerate(value)]
            while stack:
                name, item = stack.pop(0)
                if isinstance(item, (list, tuple)):
                    stack[:0] = [(f"{name}.{i}", sub) for i, sub in enumerate(item)]
                else:
                    yield name, item
        else:
            yield key, value


def _read_npz(path):
    """{name: array} from an .npz file, never unpickling; a clear error for anything else."""
    try:
        stored = np.load(path, allow_pickle=False)
        if not isinstance(stored, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not named parameters")
        with stored:
            return {name: stored[name] for name in stored.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"load {path}: not a parameters file written by Module.save (an .npz "
                         f"of numeric arrays, read without pickle): {error}") from error
