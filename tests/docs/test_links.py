"""README.md's links into the repository lead somewhere (mkdocs checks docs/ itself)."""

from __future__ import annotations

import re

from tests.docs.snippets import ROOT


def test_every_relative_link_of_the_readme_names_a_file_that_exists() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", (ROOT / "README.md").read_text())
    relative = [link for link in links if "://" not in link]
    assert relative, "README.md links to its docs pages"
    assert [link for link in relative if not (ROOT / link).exists()] == []
