"""The README's code blocks run as they stand and print what the README says they print."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_block_after(heading):
    """The first ```python block of the README section that starts with `heading`."""
    text = README.read_text()
    section = text[text.index(heading):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def run(block, directory, name):
    """Run `block` as `python name` inside `directory`, as the README's run was made."""
    (directory / name).write_text(block)
    return subprocess.run([sys.executable, name], cwd=directory, capture_output=True, text=True,
                          timeout=300)


def shown_output(block):
    """The lines the block shows as its output (comments after the code, '# ' stripped), with
    the exception's class name left out."""
    lines = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    return [re.sub(r"^\w+: ", "", lines[0], count=1), *lines[1:]]


def test_the_gradient_testing_example_prints_the_report_shown(tmp_path):
    block = python_block_after("## Testing your gradients")
    done = run(block, tmp_path, "example.py")
    assert done.returncode != 0
    report = done.stderr[done.stderr.index("GradcheckError: ") + len("GradcheckError: "):]
    assert report.rstrip("\n").splitlines() == shown_output(block)  # line for line
    fixed = block.replace("np.exp(x)),)", "np.exp(-x)),)", 1)
    assert run(fixed, tmp_path, "example.py").returncode == 0


def test_the_anomaly_example_prints_the_report_shown(tmp_path):
    block = python_block_after("### nan and inf")
    done = run(block, tmp_path, "model.py")
    assert done.returncode != 0
    report = done.stderr[done.stderr.index("AnomalyError: ") + len("AnomalyError: "):]
    assert report.rstrip("\n").splitlines() == shown_output(block)


def test_every_picture_the_readme_shows_is_in_the_repository():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README.read_text())
    assert len(pictures) >= 6  # the diagrams, the explorer's screenshots, the training view
    missing = [p for p in pictures if "://" not in p and not (README.parent / p).is_file()]
    assert missing == []
