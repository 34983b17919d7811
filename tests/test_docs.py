"""The docs: a short README that points at a page per concern, every page in the MkDocs site,
and the site builds with --strict (a broken link between pages fails it: the control)."""

from __future__ import annotations

import re
import shutil

import yaml

from tests.chain import REPO_ROOT
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
