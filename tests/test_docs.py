"""The docs: a short README that points at a page per concern, every page in the MkDocs site,
and the site builds with --strict (a broken link between pages fails it: the control)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok
from tests.linters import mkdocs

DOCS = REPO_ROOT / 'docs'


def test_the_readme_is_short_and_links_every_page():
    readme = (REPO_ROOT / 'README.md').read_text()
    assert len(readme.splitlines()) <= 200
    linked = set(re.findall(r'\]\(docs/([\w-]+\.md)\)', readme))
    assert linked == {page.name for page in DOCS.glob('*.md')} - {'index.md'}


def test_every_page_is_in_the_site_s_navigation():
    nav = yaml.safe_load((REPO_ROOT / 'mkdocs.yml').read_text())['nav']
    assert sorted(page for entry in nav for page in entry.values()) == sorted(p.name for p in DOCS.glob('*.md'))


def test_the_site_builds_strictly(tmp_path):
    built = mkdocs('build', '--strict', '--site-dir', str(tmp_path / 'site'))
    assert built.returncode == 0, built.stderr[-3000:]
    assert (tmp_path / 'site' / 'architecture' / 'index.html').is_file()


def test_a_broken_link_fails_the_build(tmp_path):
    shutil.copytree(DOCS, tmp_path / 'docs')
    shutil.copy2(REPO_ROOT / 'mkdocs.yml', tmp_path)
    page = tmp_path / 'docs' / 'deploying.md'
    page.write_text(page.read_text() + '\nSee [nowhere](no-such-page.md).\n')
    built = mkdocs('build', '--strict', '--site-dir', str(tmp_path / 'site'), cwd=tmp_path)
    assert built.returncode != 0 and 'no-such-page.md' in built.stderr, built.stderr[-3000:]


# What code, comments and config may say to send a reader to the docs: a page
# (``docs/model-server.md``), a page and a heading (``docs/monitoring-and-alerts.md, *Alerts
# (e-mail)*``: a ``#`` heading or a bold run-in one, ``**The champion rule.**``) or an anchor
# (``docs/tests-and-benchmarks.md#the-main-job``). ``README: Alerts`` (a section the README lost)
# is what this replaces.
PAGE_REFERENCE = re.compile(r'((?:docs/[\w-]+|README)\.md)(?:, \*([^*]+)\*|#([\w-]+))?')
OLD_STYLE = re.compile(r'README: [A-Z]')
SKIPPED_SUFFIXES = {'.png', '.parquet', '.ipynb', '.ico', '.svg'}


def headings(page) -> set:
    text = page.read_text()
    titles = {m.strip() for m in re.findall(r'^#+ (.+)$', text, re.M)}
    titles |= {m.strip() for m in re.findall(r'^\*\*([^*]+?)\.?\*\*', text, re.M)}
    return titles


def anchors(page) -> set:
    """GitHub's and MkDocs' anchors of the page's headings: lower case, punctuation dropped."""
    return {re.sub(r'[^\w\- ]', '', title.lower()).replace(' ', '-') for title in headings(page)}


def references(text: str):
    for page, heading, anchor in PAGE_REFERENCE.findall(text):
        yield page, heading, anchor


def dangling(files) -> list:
    found = []
    for path in files:
        text = path.read_text(errors='replace')
        where = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path.name
        found += [f'{where}: {m.group(0)}' for m in OLD_STYLE.finditer(text)]
        for page, heading, anchor in references(text):
            target = REPO_ROOT / page
            if not target.is_file():
                found.append(f'{where}: {page} does not exist')
            elif heading and heading not in headings(target):
                found.append(f'{where}: {page} has no heading {heading!r}')
            elif anchor and anchor not in anchors(target):
                found.append(f'{where}: {page} has no heading with the anchor #{anchor}')
    return found


def tracked_text_files() -> list:
    listed = run_ok(['git', 'ls-files'], cwd=REPO_ROOT, timeout=600)
    paths = [REPO_ROOT / name for name in listed.stdout.splitlines()]
    own = Path(__file__)  # its examples of what is refused
    return [
        p for p in paths if p.is_file() and p.suffix not in SKIPPED_SUFFIXES and not p.is_relative_to(DOCS) and p != own
    ]


def test_every_reference_to_the_docs_in_code_and_comments_points_to_a_page_and_heading_that_exist(tmp_path):
    assert dangling(tracked_text_files()) == []
    control = tmp_path / 'control.txt'  # references resolve from the repository's root
    control.write_text(
        '(README: Alerts) docs/monitoring-and-alerts.md, *No such heading* docs/gone.md '
        'docs/tests-and-benchmarks.md#no-anchor docs/monitoring-and-alerts.md, *Alerts (e-mail)*'
    )
    assert dangling([control]) == [
        'control.txt: README: A',
        "control.txt: docs/monitoring-and-alerts.md has no heading 'No such heading'",
        'control.txt: docs/gone.md does not exist',
        'control.txt: docs/tests-and-benchmarks.md has no heading with the anchor #no-anchor',
    ]


ARCHITECTURE = DOCS / 'architecture.md'
UTILS = REPO_ROOT / 'mlops' / 'utils'


def test_the_architecture_page_names_every_concern_and_only_modules_that_exist():
    page = ARCHITECTURE.read_text()
    concerns = sorted(p.name for p in UTILS.iterdir() if (p / '__init__.py').is_file())
    assert [c for c in concerns if f'`{c}/`' not in page] == []  # every concern is on it
    named = set(re.findall(r'`([a-z_]+/[a-z_/]+\.py)`', page))
    assert [n for n in sorted(named) if n.split('/')[0] in concerns and not (UTILS / n).is_file()] == []
    assert len([n for n in named if n.split('/')[0] in concerns]) >= 20  # the check sees the page's names
    for row in re.findall(r'^\| `([a-z_]+)/`', page, re.M):  # each layer row's concern exists
        assert row in concerns or row == 'mlops/unit_*', row


def test_the_readme_keeps_a_small_picture_and_links_the_architecture_page():
    readme = (REPO_ROOT / 'README.md').read_text()
    section = readme.split('## Architecture', 1)[1].split('\n## ', 1)[0]
    assert '(docs/architecture.md)' in section
    assert len(section.strip().splitlines()) <= 25  # a picture of the concerns at most, not the page again
