"""The README and the CLI stay in step: every documented command exists and documents itself."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from companion.cli import main
from tests.conftest import REPO

README = (REPO / "README.md").read_text()
DOCUMENTED = sorted(set(re.findall(r"inflow ((?:index )?[a-z]+)", README)))


@pytest.mark.parametrize("command", DOCUMENTED)
def test_documented_command_exists_with_help(command):
    result = CliRunner().invoke(main, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_every_command_is_documented():
    commands = set(main.commands) | {f"index {name}" for name in main.commands["index"].commands}
    assert commands - {"index"} <= set(DOCUMENTED), commands - set(DOCUMENTED)


def test_make_targets_in_readme_exist():
    makefile = (REPO / "Makefile").read_text()
    for target in set(re.findall(r"make ([a-z-]+)", README)):
        assert re.search(rf"^{target}:", makefile, re.M), target
