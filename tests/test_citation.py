"""The licence and the citation file a user of a research tool looks for, kept in step with
the package."""

from __future__ import annotations

import re
import tomllib

import yaml
from support import ROOT

import sim


def test_the_citation_file_names_the_package_s_version_and_licence():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "software"
    assert citation["version"] == sim.__version__
    assert citation["license"] == project["license"]
    assert citation["title"].startswith("relsim") and citation["authors"]


def test_the_licence_file_is_the_one_the_package_declares_and_ships():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    text = (ROOT / "LICENSE").read_text()
    assert project["license"] == "MIT" and text.startswith("MIT License")
    assert re.search(r"Copyright \(c\) \d{4} ", text)
    assert project["license-files"] == ["LICENSE"]


def test_the_readme_says_how_to_cite_a_run_so_it_can_be_run_again():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Citing relsim", 1)[1].split("\n## ", 1)[0]
    assert "CITATION.cff" in section and "LICENSE" in section and "manifest.json" in section
