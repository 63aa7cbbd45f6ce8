"""The ``explorer systems`` sub-command."""

import json
import re

import pytest

from explorer.cli import main
from explorer.systems import SYSTEMS


def test_systems_table(capsys):
    assert main(["systems"]) == 0
    out = capsys.readouterr().out
    for name in SYSTEMS:
        assert f"\n{name}  (" in f"\n{out}"
    modes_rows = re.findall(r"^ +modes +10 +\[2, inf\) +Number of modes d", out, flags=re.MULTILINE)
    assert len(modes_rows) == len(SYSTEMS)
    assert "(0, inf)" in out and "Interaction length R" in out


def test_systems_json(capsys):
    assert main(["systems", "--json"]) == 0
    catalogue = json.loads(capsys.readouterr().out)
    assert set(catalogue) == set(SYSTEMS)
    assert catalogue["fput"]["order"] == 2 and catalogue["dipoles"]["order"] == 1
    assert catalogue["fput-disordered"]["parameters"]["disordered"]["default"] is True
    assert catalogue["fput"]["parameters"]["disordered"]["default"] is False
    modes = catalogue["lennard-jones"]["parameters"]["modes"]
    assert modes["default"] == 10 and modes["bounds"] == [2, None] and modes["doc"]
    assert catalogue["lennard-jones"]["parameters"]["q"]["default"] == 2
    assert catalogue["dipoles"]["parameters"]["moment"]["inclusive_bounds"] == [False, True]


def test_help_lists_systems(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "systems" in capsys.readouterr().out
