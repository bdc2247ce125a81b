"""Every Python code block of the README and the docs runs as written.

The blocks of one file run in order in one fresh interpreter, as a reader would
paste them into a session (a later block may use a name an earlier one defined),
in an empty temporary folder, with matplotlib drawing off-screen.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks(path):
    return BLOCK.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "path", [p for p in DOCUMENTS if _blocks(p)], ids=lambda p: p.name
)
def test_code_blocks_run_as_written(path, tmp_path):
    code = "\n\n".join(
        f"# --- block {i + 1} of {path.name}\n{block}"
        for i, block in enumerate(_blocks(path))
    )
    script = tmp_path / "blocks.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{path.name}:\n{done.stderr[-3000:]}"


def test_every_document_with_code_is_checked():
    # a README or docs page whose blocks are not ```python would be skipped
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for language in re.findall(r"^```(\w*)\n", text, re.MULTILINE):
            assert language in {"python", "bash", "text", "yaml", "json", ""}, (
                path.name,
                language,
            )
