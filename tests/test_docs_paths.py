"""The documentation names only files that a reader of the repository can open: every path
of the repository's own folders written in README.md, docs/ and the studies' READMEs exists
(outputs a command writes, under results/ or quick/, and NAME placeholders aside), and every
relative Markdown link resolves."""

import re

import pytest
from support import ROOT

DOCS = sorted({ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("experiments/**/README.md")})
FOLDERS = "sim|tests|docs|experiments|scenarios|benchmarks|scripts|sweeps"
REPO_PATH = re.compile(rf"(?<![\w./:-])((?:{FOLDERS})/[\w./*-]*)")
LINK = re.compile(r"\]\(([^)#\s]+)")
#: what commands write (not kept in git) and placeholders a reader fills in
WRITTEN = re.compile(r"(^|/)(results|quick)(/|$)|NAME|N-name")


def named_paths(doc):
    for number, line in enumerate(doc.read_text().splitlines(), 1):
        for match in REPO_PATH.finditer(line):
            yield number, match.group(1).rstrip(".,;:)")
        for match in LINK.finditer(line):
            if not re.match(r"[a-z]+:", match.group(1)):
                yield number, match.group(1)


def exists(base, path):
    return next(iter(base.glob(path)), None) is not None if "*" in path else (base / path).exists()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_the_documentation_names_exists(doc):
    missing = [f"line {n}: {path}" for n, path in named_paths(doc)
               if not WRITTEN.search(path)
               and not any(exists(base, path) for base in (ROOT, doc.parent))]
    assert not missing, f"{doc.relative_to(ROOT)} names files that do not exist: {missing}"
