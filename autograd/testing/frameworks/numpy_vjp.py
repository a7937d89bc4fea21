"""A primitive whose rule is a plain numpy vjp, HIPS-autograd style (`defvjp`), so that a
numpy function with a hand-written gradient is checked by the same entry point as everything
else (`check_gradients`, which runs gategrad's `gradcheck` on it)."""

from ...ops import Op


def defvjp(forward, *vjp_makers, name=None):
    """A differentiable version of the numpy function `forward`, with the gradient of input i
    given by `vjp_makers[i](ans, *inputs)`, which returns a function of the incoming gradient
    `g` (HIPS autograd's `defvjp` contract; None for an input without a gradient). The result
    accepts numpy arrays, numbers and gategrad values, records one node named `name` (default
    `forward.__name__`) and is not added to `autograd.OPS`, so a test may define any number.

        def logsumexp_vjp(ans, x):
            return lambda g: g * np.exp(x - ans)

        logsumexp = defvjp(lambda x: np.log(np.sum(np.exp(x))), logsumexp_vjp,
                           name="logsumexp")
        check_gradients(logsumexp, np.array([1.0, 2.0, 3.0]))
    """
    if not callable(forward) or not all(m is None or callable(m) for m in vjp_makers):
        raise TypeError("defvjp: give a forward function and one vjp maker (or None) per input")
    if not vjp_makers:
        raise TypeError("defvjp: give one vjp maker per input: maker(ans, *inputs) -> "
                        "(lambda g: gradient)")
    label = name or getattr(forward, "__name__", "defvjp")

    def joint(g, out, *inputs):
        return tuple(0.0 * x if maker is None else maker(out, *inputs)(g)
                     for maker, x in zip(vjp_makers, inputs))

    op = Op(label if label.isidentifier() else "defvjp", forward, vjp=joint,
            arity=len(vjp_makers))

    def primitive(*inputs):
        return op(*inputs)

    primitive.__name__ = primitive.__qualname__ = label
    primitive.__doc__ = forward.__doc__
    primitive.op = op
    return primitive
