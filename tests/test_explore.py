"""The explorer page's content, read back from the page's JSON: every number is the engine's,
the steps come in the order backward runs them, hostile labels cannot leave their JSON, and
saving never leaves a half-written file. (tests/test_explore_browser.py runs the page.)"""

import json
import os
import re

import numpy as np
import pytest

import autograd
import autograd.files
from autograd import Scalar, Tensor, explore
from autograd.draw import ExplorerError
from autograd.draw.__main__ import main
from autograd.draw.explorer import MAX_VALUES, script_json

HOSTILE = ["</script><script>window.pwned = 1</script>", "<!--", "<img src=x onerror=alert(1)>",
           "\u2028line\u2029sep", "a & b", '"quoted" \'single\'', "${x}`tick`", "\\", "{{DATA}}"]


def graph_in(page):
    """The JSON the page holds (the one <script type="application/json"> element)."""
    (data,) = re.findall(r'<script type="application/json" id="graph-data">(.*?)</script>',
                         page, re.S)
    return json.loads(data)


def fxyz():
    x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def test_the_steps_are_backwards_walk_with_its_numbers():
    f = fxyz()
    graph = graph_in(explore(f).html)  # runs backward itself
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    order = [names[step["node"]] for step in graph["steps"]]
    assert order == [v.label for v in reversed(autograd.toposort(f))] == ["f", "q"]
    mul, add = graph["steps"]
    assert mul["upstream"]["values"] == [1.0] and add["upstream"]["values"] == [-4.0]
    assert [(s["name"], s["local"]["values"], s["grad"]["values"]) for s in mul["sent"]] == [
        ("q", [-4.0], [-4.0]), ("z", [3.0], [3.0])]
    assert mul["sent"][0]["rule"] == ("mul swaps: q receives the upstream gradient times the "
                                      "other input, z")
    assert mul["sent"][0]["arithmetic"] == "1 \u00d7 -4 = -4"
    assert [(s["name"], s["grad"]["values"]) for s in add["sent"]] == [("x", [-4.0]),
                                                                        ("y", [-4.0])]
    assert add["sent"][0]["rule"] == "add distributes: x receives the upstream gradient"
    assert {i["name"]: i["grad"]["values"] for i in graph["inputs"]} == {
        "x": [-4.0], "y": [-4.0], "z": [3.0]}


def test_fan_out_sums_accumulate_in_the_order_gradients_arrive():
    a, b, c = Scalar(3.0, label="a"), Scalar(1.0, label="b"), Scalar(-2.0, label="c")
    h = a.maximum(b) + a * c
    h.backward()
    graph = graph_in(explore(h).html)
    to_a = [s for step in graph["steps"] for s in step["sent"] if s["name"] == "a"]
    # in the engine's order: the mul sends c = -2 first, then max routes 1 to a
    assert [(s["grad"]["values"], s["total"]["values"], s["arrived"]) for s in to_a] == [
        ([-2.0], [-2.0], 1), ([1.0], [-1.0], 2)]
    (input_a,) = [i for i in graph["inputs"] if i["name"] == "a"]
    assert input_a["count"] == 2 and input_a["sum"] == "-2 + 1 = -1"
    assert input_a["grad"]["values"] == [a.grad] == [-1.0]
    assert "fan-out adds: a is used 2 times" in input_a["rule"]
    (node_a,) = [n for n in graph["nodes"] if n["name"] == "a"]
    assert node_a["uses"] == 2


def test_a_small_tensor_graph_has_shapes_rows_and_the_engines_gradients():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.0]]), requires_grad=True, label="W")
    X = Tensor(np.array([[1.0, 2.0, 3.0]]), label="X")
    loss = (X @ W).tanh().sum()
    loss.backward()
    graph = graph_in(explore(loss).html)
    assert graph["kind"] == "Tensor"
    (w,) = [n for n in graph["nodes"] if n["name"] == "W"]
    assert w["shape"] == [3, 2] and w["dtype"] == "float64"
    assert w["data"]["rows"] == ["[1, -2]", "[0.5, 1]", "[-1, 0]"]
    assert w["grad"]["values"] == W.grad.ravel().tolist()
    matmul = graph["steps"][-1]
    assert matmul["op"] == "matmul" and [s["name"] for s in matmul["sent"]] == ["W"]  # X: none
    np.testing.assert_array_equal(matmul["sent"][0]["grad"]["values"], W.grad.ravel())
    assert "matmul swaps: W receives X\u1d40 @ upstream" == matmul["sent"][0]["rule"]
    big = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, label="big")
    graph = graph_in(explore((big * big).sum()).html)
    (node,) = [n for n in graph["nodes"] if n["name"] == "big"]
    assert node["data"]["values"] is None and node["data"]["text"].startswith("min 0 mean 5.5")
    assert not graph["inputs"][0]["typed"]  # 12 numbers: shown, not typed in an exercise


def test_with_a_model_unlabelled_values_are_named_by_parameter_name_and_role():
    nn = pytest.importorskip("nn")  # the sibling package of this repository, always present
    model = nn.MLP([3, 2], rng=0)
    for _, p in model.named_parameters():
        p.label = None
    loss = ((model(Tensor(np.ones((1, 3)))) - Tensor(np.zeros((1, 2)))) ** 2).sum()
    graph = graph_in(explore(loss, model=model).html)
    names = {n["name"] for n in graph["nodes"] if n["kind"] == "value" and not n["op"]}
    assert names == {"layers.0.weight", "layers.0.bias", "input", "target"}
    assert sorted(i["name"] for i in graph["inputs"]) == ["layers.0.bias", "layers.0.weight"]


def test_hostile_labels_stay_inside_their_json_and_the_title_is_escaped():
    values = [Scalar(float(i), label=label) for i, label in enumerate(HOSTILE)]
    out = values[0]
    for v in values[1:]:
        out = out * v
    page = explore(out, title="</title><script>alert(1)</script>").html
    assert page.count("<script") == 2 and page.count("</script>") == 2  # data and code only
    assert "<!--" not in page and "\u2028" not in page and "<img" not in page
    assert "<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    graph = graph_in(page)
    assert set(HOSTILE) <= {n["name"] for n in graph["nodes"]}
    assert graph["title"] == "</title><script>alert(1)</script>"
    assert script_json({"s": "</script>"}) == '{"s": "\\u003c/script\\u003e"}'


def test_nan_and_inf_become_null_numbers_and_are_not_typed():
    x = Scalar(0.0, label="x")
    out = x.log() * 2.0
    with np.errstate(all="ignore"):
        out.backward()
    graph = graph_in(explore(out).html)  # JSON without NaN: the browser can parse it
    (node,) = [n for n in graph["nodes"] if n["name"] == "log1"]
    assert node["data"] == {"text": "-inf", "rows": ["-inf"], "shape": [], "values": [None]}
    assert graph["inputs"][0]["typed"] is False


def test_outside_a_kernel_jupyter_gets_the_page_in_a_sandboxed_frame_a_picture_and_text():
    bundle, metadata = explore(fxyz())._repr_mimebundle_()
    shown = bundle["text/html"]
    assert shown.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in shown
    assert "<script" not in shown  # the page is an escaped attribute value
    assert bundle["image/png"].startswith(b"\x89PNG\r\n\x1a\n") and metadata["image/png"]
    assert "explorer of f" in bundle["text/plain"] and "run the cell" in bundle["text/plain"]


def test_save_writes_the_page_and_a_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    page = explore(fxyz())
    target = page.save(tmp_path / "f.html")
    assert target.read_text(encoding="utf-8") == page.html
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() makes it, not 0600
    target.write_text("mine")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(autograd.files.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        page.save(target)
    assert target.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == [
        "f.html"]


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="explore: expected a Scalar or Tensor, got float"):
        explore(1.0)
    with pytest.raises(TypeError, match="named_parameters"):
        explore(fxyz(), model=object())
    x = Scalar(1.0, label="x")
    y = x
    for _ in range(MAX_VALUES):
        y = y * x
    with pytest.raises(ExplorerError, match=r"has 201 values; the explorer shows at most 200"):
        explore(y)
    with pytest.raises(RuntimeError, match="single-element output"):
        explore(Tensor([1.0, 2.0], requires_grad=True) * 2.0)


def test_the_command_line_writes_the_page(tmp_path, capsys):
    target = tmp_path / "f.html"
    assert main(["(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(target)]) == 0
    graph = graph_in(target.read_text(encoding="utf-8"))
    assert {i["name"]: i["grad"]["values"] for i in graph["inputs"]} == {
        "x": [-4.0], "y": [-4.0], "z": [3.0]}
    assert "wrote" in capsys.readouterr().out
