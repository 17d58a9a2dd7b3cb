"""Discovery through entry points, the `digidialog adapters` and `simulate` commands."""

from __future__ import annotations

import argparse
import json
import re
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from digidialog.adapters import Capabilities, registry
from digidialog.adapters.ports import Adapter
from digidialog.cli import adapters as adapters_command
from digidialog.cli import simulate as simulate_command
from digidialog.cli.main import COMMANDS
from digidialog.errors import UsageError

VENDORS = {"plenario": "Infodoc", "systemx": "HOVE", "cgm": "CompuGroup Medical"}


def main(argv: list[str]) -> int:
    """Our two sub-commands as `digidialog` runs them (without the other commands' imports)."""
    parser = argparse.ArgumentParser(prog="digidialog")
    sub = parser.add_subparsers(dest="command", required=True)
    adapters_command.register(sub)
    simulate_command.register(sub)
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def test_commands_are_registered() -> None:
    assert {"adapters", "simulate"} <= set(COMMANDS)


def test_the_three_vendor_packages_are_found() -> None:
    infos = {i.name: i for i in registry.available()}
    for name, vendor in VENDORS.items():
        info = infos[name]
        assert info.vendor == vendor
        assert info.package == f"digidialog-{name}"
        assert info.version == "0.1.0"
        assert info.simulator
        assert "DIALOG_INNBYGGER_EKONSULTASJON" in info.capabilities.processes


def test_unknown_adapter_names_what_is_installed() -> None:
    with pytest.raises(UsageError) as caught:
        registry.get("medidoc")
    assert "plenario" in (caught.value.hint or "")


def test_entry_point_must_be_a_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    bogus = EntryPoint(name="bogus", value="json:dumps", group=registry.GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: {"bogus": bogus})
    with pytest.raises(UsageError, match="not an AdapterSpec"):
        registry.get("bogus")


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_start_with_simulator_pairs_adapter_and_simulator(name: str) -> None:
    with registry.start_with_simulator(name, config={"timeout": 5}) as (adapter, sim):
        assert isinstance(adapter, Adapter)
        assert adapter.name == name
        assert adapter.practice.office() == sim.journal.office()


def test_adapters_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["adapters", "--json"]) == 0
    listed = {a["name"]: a for a in json.loads(capsys.readouterr().out)["adapters"]}
    assert set(VENDORS) <= set(listed)
    for name, vendor in VENDORS.items():
        shown = listed[name]
        assert {"name", "vendor", "package", "version", "capabilities"} <= set(shown)
        assert (shown["vendor"], shown["version"]) == (vendor, "0.1.0")
        assert "DIALOG_INNBYGGER_EKONSULTASJON" in shown["capabilities"]["processes"]
        assert shown["capabilities"]["services"]
    plenario = listed["plenario"]
    assert plenario["package"] == "digidialog-plenario"
    assert plenario["config"][:2] == ["base_url", "token"]
    assert "idempotency-keys" in plenario["capabilities"]["features"]
    assert listed["systemx"]["capabilities"]["versions"]["AppRec"] == ["1.0"]


def test_adapters_command_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["adapters"]) == 0
    out = capsys.readouterr().out
    for name, vendor in VENDORS.items():
        assert f"{name}  {vendor}" in out


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_simulate_command_prints_a_working_config(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", name, "--seconds", "0", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["name"] == name
    assert shown["config"]


def test_simulate_unknown_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no adapter named 'medidoc'"):
        main(["simulate", "medidoc", "--seconds", "0"])


def test_capabilities_profile() -> None:
    caps = Capabilities(versions={"Dialogmelding": ("1.1",)})
    assert caps.supports("DIALOG_INNBYGGER_TIMERESERVASJON")
    assert caps.supports("DIALOG_INNBYGGER_EKONTAKT", "Dialogmelding", "1.1")
    assert not caps.supports("DIALOG_INNBYGGER_EKONTAKT", "Dialogmelding", "1.0")
    assert not caps.supports("DIALOG_INNBYGGER_TEST")
    assert caps.as_dict()["versions"] == {"Dialogmelding": ["1.1"]}


def test_the_core_never_imports_a_vendor_by_name() -> None:
    # Discovery is through entry points only: no module of digidialog names a vendor package.
    import digidialog

    root = Path(digidialog.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if re.search(r"^\s*(from|import)\s+digidialog_(plenario|systemx|cgm)\b",
                     path.read_text(encoding="utf-8"), re.MULTILINE)
    ]  # fmt: skip
    assert offenders == []
