"""The docs say what the code does: their Python examples run, the README's commands parse, the
links lead somewhere and every example script is run (docs that rot are worse than none).

A doc's ```python blocks run in order in one namespace from the repository root, so a later block
may use what an earlier one made. A block preceded by ``<!-- not run -->`` is an illustrative
fragment (placeholders, an endless loop) and is skipped on purpose.
"""

from __future__ import annotations

import importlib
import re
import shlex
import tempfile
from pathlib import Path

import pytest

import digidialog
from digidialog.cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
RUN_DOCS = [
    "README.md",
    "docs/model.md",
    "docs/services.md",
    "docs/adapters.md",
    "docs/pipeline.md",
]
LINKED_DOCS = sorted(
    {ROOT / "README.md", ROOT / "schemas" / "README.md", ROOT / "examples" / "README.md"}
    | {p for p in (ROOT / "docs").rglob("*.md") if "helpers" not in p.parts}  # not the briefs
    | set((ROOT / "benchmarks").glob("*.md"))
)
NOT_RUN = "<!-- not run -->"

_BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)```", re.S)


def python_blocks(doc: str) -> list[tuple[int, str, bool]]:
    """Each ```python block of `doc`: (line, code, runs); `runs` is False after NOT_RUN."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    blocks = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("code")) + 1
        blocks.append((line, match["code"], match["before"].strip() != NOT_RUN))
    return blocks


@pytest.mark.parametrize("doc", RUN_DOCS)
def test_python_blocks_run(
    doc: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocks = python_blocks(doc)
    assert blocks, f"{doc} has no python example"
    assert any(runs for _, _, runs in blocks), f"every python block of {doc} is marked not run"
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # what the examples make goes here
    namespace: dict[str, object] = {"__name__": f"docs_{Path(doc).stem}"}
    for line, code, runs in blocks:
        if runs:
            # padding keeps the doc's line numbers in tracebacks
            exec(compile("\n" * (line - 1) + code, str(ROOT / doc), "exec"), namespace)
    if doc == "README.md":
        assert "['2ae', '2dd']" in capsys.readouterr().out
        assert digidialog.validate(namespace["xml"]).valid  # type: ignore[arg-type]


def test_not_run_blocks_are_few() -> None:
    skipped = sum(not runs for doc in RUN_DOCS for _, _, runs in python_blocks(doc))
    total = sum(len(python_blocks(doc)) for doc in RUN_DOCS)
    assert skipped * 3 <= total, f"{skipped} of {total} python blocks are not run"


def readme_commands() -> list[list[str]]:
    """The `digidialog …` lines of the README's command-line section, as argument lists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The command line", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():  # join continued lines
            words = shlex.split(line, comments=True)
            if words and words[0] == "digidialog":
                if "<" in words:  # a shell redirect, not an argument
                    words = words[: words.index("<")]
                commands.append(words[1:])
    return commands


def test_readme_shows_every_command() -> None:
    shown = {args[0] for args in readme_commands()}
    parser = build_parser()
    choices = next(
        a.choices
        for a in parser._actions
        if a.choices is not None and isinstance(a.choices, dict)  # the sub-commands
    )
    assert shown == set(choices)


@pytest.mark.parametrize("args", readme_commands(), ids=" ".join)
def test_readme_command_parses(args: list[str]) -> None:
    build_parser().parse_args(args)  # argparse exits on anything it does not accept


_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", LINKED_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor in the same page
        path = target.split("#", 1)[0]
        if not (doc.parent / path).exists():
            broken.append(target)
    assert not broken, f"{doc.relative_to(ROOT)} links to missing files: {broken}"


def test_example_scripts_are_all_run() -> None:
    """tests/services/test_example_scripts.py runs the scripts and checks what they show; this
    makes sure none is left out of it."""
    scripts = {p.name for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_")}
    tested = (ROOT / "tests" / "services" / "test_example_scripts.py").read_text(encoding="utf-8")
    assert scripts, "no example scripts"
    assert {s for s in scripts if f'"{s}"' not in tested} == set()


def test_examples_readme_lists_every_message_and_script() -> None:
    """examples/README.md names each example file in its folder's section, and nothing else."""
    examples = ROOT / "examples"
    text = (examples / "README.md").read_text(encoding="utf-8")
    listed = set()
    for section in re.split(r"\n## ", text)[1:]:
        folder = section.split("\n", 1)[0].strip()
        names = re.findall(r"^\| `([^`/]+\.(?:xml|py))`", section, re.M)
        listed |= {n if n.endswith(".py") else f"{folder}/{n}" for n in names}
    actual = {str(p.relative_to(examples)) for p in examples.rglob("*.xml")}
    actual |= {p.name for p in examples.glob("*.py") if not p.name.startswith("_")}
    assert listed == actual


def test_readme_counts_the_rules() -> None:
    import digidialog.validation.rules  # noqa: F401  (registers the rules)
    from digidialog.validation.registry import RULES

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{len(RULES)} business rules" in text


_DOTTED = re.compile(r"`(digidialog(?:\.[A-Za-z_]\w*)+)")


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


OWN_DOCS = [
    *RUN_DOCS,
    "docs/ARCHITECTURE.md",
    "docs/vendors/cgm.md",
    "docs/vendors/plenario.md",
    "docs/vendors/systemx.md",
    "schemas/README.md",
    "examples/README.md",
]


@pytest.mark.parametrize("doc", OWN_DOCS)
def test_dotted_names_exist(doc: str) -> None:
    """Every `digidialog.…` name a doc mentions is a module or an attribute of one."""
    names = set(_DOTTED.findall((ROOT / doc).read_text(encoding="utf-8")))
    assert sorted(n for n in names if not _resolves(n)) == []
