"""The explorer as a Jupyter widget (anywidget: the `widgets` extra). Its view is explorer.js,
the script of the self-contained page; the graph it draws is the widget's `graph` trait. The
view sends the kernel what the learner did (an input's new value, a step of gradient descent,
a reset); the kernel replays the recorded graph (`Explorer.set_value`, `descend`, `reset`)
and sends the new graph and then "done", or an error message when the input was bad (nothing
changes then). A view that hears nothing back (restored from a saved notebook, no kernel)
says so."""

from importlib import resources

INSTALL_HINT = ("the live explorer needs anywidget: pip install \"gategrad[widgets]\" (or pip "
                "install anywidget); explore(...).save('page.html') writes a page without it")
_widget_class = None


def explorer_widget(explorer):
    """A widget showing `explorer` (an `autograd.draw.Explorer`) and acting on it."""
    return _class()(explorer)


def _class():
    global _widget_class
    if _widget_class is None:
        try:
            import anywidget
            import traitlets
        except ImportError as error:
            raise ImportError(INSTALL_HINT) from error
        folder = resources.files("autograd.draw")

        class ExplorerWidget(anywidget.AnyWidget):
            """The backward-pass explorer, live: edits recompute the graph in the kernel."""

            _esm = (folder / "explorer.js").read_text(encoding="utf-8")
            _css = (folder / "explorer.css").read_text(encoding="utf-8")
            graph = traitlets.Dict().tag(sync=True)

            def __init__(self, explorer):
                super().__init__(graph=explorer.graph())
                self.explorer = explorer
                self.on_msg(self._on_message)

            def _on_message(self, widget, content, buffers):
                from .explorer import ExplorerError
                kind = content.get("kind") if isinstance(content, dict) else None
                try:
                    if kind == "edit":
                        self.explorer.set_value(content.get("node"), content.get("text"))
                    elif kind == "step":
                        self.explorer.descend(content.get("lr"))
                    elif kind == "reset":
                        self.explorer.reset()
                    else:
                        raise ExplorerError(f"explore: unknown request {kind!r}")
                except ExplorerError as error:
                    self.send({"kind": "error", "text": str(error)})
                else:  # (after the new graph: the view knows the kernel answered)
                    self.send({"kind": "done"})

        ExplorerWidget.__module__, ExplorerWidget.__qualname__ = "autograd.draw", "ExplorerWidget"
        _widget_class = ExplorerWidget
    return _widget_class
