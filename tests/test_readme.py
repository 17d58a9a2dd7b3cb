"""The README's library example runs as written (docs that rot are worse than none)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import digidialog

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_library_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no python example"
    monkeypatch.chdir(README.parent)
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert "['2ae', '2dd']" in capsys.readouterr().out
    assert digidialog.validate(namespace["xml"]).valid  # type: ignore[arg-type]
