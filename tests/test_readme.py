"""The README's code blocks run as they stand and do what the README says they do."""

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


def test_the_gradient_testing_example_catches_the_wrong_rule_with_the_message_shown(tmp_path):
    block = python_block_after("## Testing your gradients")
    script = tmp_path / "example.py"
    script.write_text(block)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0
    shown = [line.lstrip("# ").strip() for line in block.splitlines() if line.startswith("# ")]
    def squeeze(text):  # hypothesis prints the example over several lines, with a comma
        return re.sub(r"[\s,]", "", text)

    # each line the README shows as output appears in the real error
    for line in shown:
        assert squeeze(line.split("GradcheckError: ")[-1]) in squeeze(done.stderr), line
    fixed = block.replace("np.exp(x)),)", "np.exp(-x)),)", 1)
    script.write_text(fixed)
    assert subprocess.run([sys.executable, str(script)], capture_output=True,
                          timeout=300).returncode == 0
