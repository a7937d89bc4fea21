"""The engine's public exception classes (each a subclass of the built-in one people catch)."""


class InPlaceError(RuntimeError):
    """An in-place change the engine refuses: an augmented assignment on a leaf that requires a
    gradient while the graph is being recorded, or a backward pass through a node whose rule
    reads a value that was changed in place after the node was recorded."""


class ShapeError(ValueError):
    """An op's inputs do not fit together: shapes that do not broadcast, an index out of range
    for the indexed axis, a reshape to the wrong size. The message names the op and the shapes.
    An index that does not fit is also an IndexError (`except IndexError` catches it, as it
    catches numpy's)."""


class IndexShapeError(ShapeError, IndexError):
    """A ShapeError raised by indexing: an index that does not fit the indexed value."""


for _error in (InPlaceError, ShapeError, IndexShapeError):
    _error.__module__ = "autograd"  # tracebacks name them as they are imported: autograd.X


def brief(value, limit=40):
    """`value` described in a few words for an error message, never cut mid-field: a graph
    value by its type and shape (or a Scalar by its number), anything else by its type and
    repr on one line, shortened with "..." past `limit` characters."""
    if getattr(type(value), "data_class", None) is not None:  # a graph value (Scalar, Tensor)
        if isinstance(value.data, float):
            return f"a {type(value).__name__} (data {value.data!r})"
        return f"a {type(value).__name__} of shape {value.shape}"
    text = " ".join(repr(value).split())
    if len(text) > limit:
        text = text[:limit - 3].rstrip() + "..."
    return f"{type(value).__name__} {text}"
