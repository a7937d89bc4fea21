"""The engine's public exception classes (each a subclass of the built-in one people catch)."""


class InPlaceError(RuntimeError):
    """An in-place change the engine refuses: an augmented assignment on a leaf that requires a
    gradient while the graph is being recorded, or a backward pass through a node whose rule
    reads a value that was changed in place after the node was recorded."""
