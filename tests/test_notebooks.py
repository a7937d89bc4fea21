"""The course notebooks as committed: each `.ipynb` is its Jupytext source (`notebooks/*.py`,
percent format) executed top to bottom, and follows the house style (an opening that says what
you will learn, a closing with what to try next, cells no longer than a screen, one output
block per print, no test machinery in a lesson). Each notebook's numbers are checked by its
check in `notebooks/course_checks.py`, run here on the notebook's own namespace and displayed
outputs. `make test` also re-executes every notebook with nbmake."""

import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
MAX_CELL_LINES = 40  # a screen
MACHINERY = ("assert ", "assert(", "legible(", "course_checks", "shown(", "four_digits(",
             "xml.etree", "re.findall")  # what a lesson cell never shows

sys.path.insert(0, str(NOTEBOOKS))
import course_checks  # noqa: E402


def committed(source):
    return nbformat.read(source.with_suffix(".ipynb"), as_version=4)


def test_every_notebook_has_its_source_and_nothing_else_is_left():
    assert len(SOURCES) == 7  # six lessons and the optional notebook on compiled steps
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == {p.stem for p in SOURCES}
    assert not (NOTEBOOKS / "build.py").exists()


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_the_committed_notebook_is_its_source_executed(source):
    paired, notebook = jupytext.read(source), committed(source)
    assert [(c.cell_type, c.source) for c in notebook.cells] == \
        [(c.cell_type, c.source) for c in paired.cells], \
        f"{source.name} and its .ipynb differ: execute it as notebooks/README.md says"
    assert notebook.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert "widgets" not in notebook.metadata, \
        f"{source.name}: saved with widget state (static renderings would embed the widget " \
        f"instead of its PNG): execute it with --ExecutePreprocessor.store_widget_state=False"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        "executed top to bottom in one run"
    for cell in code:
        kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
        assert ("error", None) not in kinds and not any(o.get("name") == "stderr"
                                                        for o in cell.outputs), cell.source
        # one print, one block: no stream split into two outputs
        assert all(a != b or a[0] != "stream" for a, b in zip(kinds, kinds[1:])), cell.source
    assert sum(bool(c.outputs) for c in code) >= len(code) // 2  # committed with outputs


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_house_style(source):
    cells = jupytext.read(source).cells
    opening, closing = cells[0], cells[-1]
    assert opening.cell_type == "markdown" and opening.source.startswith(
        f"# {int(source.stem[:2])}. ") and "**What you will learn:**" in opening.source
    assert closing.cell_type == "markdown" and closing.source.startswith("## What to try next")
    assert closing.source.count("\n* ") >= 2
    for cell in cells:
        lines = len(cell.source.splitlines())
        assert lines <= MAX_CELL_LINES, f"a cell of {lines} lines: {cell.source[:60]!r}"
    setup = cells[1].source
    assert cells[1].cell_type == "code" and "import" in setup and "re.findall" not in setup


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_lessons_show_no_test_machinery(source):
    for cell in jupytext.read(source).cells:
        if cell.cell_type == "code":
            found = [word for word in MACHINERY if word in cell.source]
            assert not found, f"{source.name}: {found} in a lesson cell: {cell.source[:80]!r}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_every_number_the_lesson_states_is_what_its_cells_compute(source, tmp_path,
                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)  # whatever a cell writes lands here
    namespace, outputs = course_checks.run(source)
    check = getattr(course_checks, f"check_{source.stem[:2]}")
    check(namespace, outputs)
