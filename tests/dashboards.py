"""Dashboards as tests read them: a page's layout, each chart's data as the server serves it,
the served data against expected figures, and the page drawn in Chromium (screenshot kept)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, Optional, Set, Tuple

import yaml

from testkit.chain import REPO_ROOT


def layout_blocks(page: str, repo: Path = REPO_ROOT) -> Dict[str, dict]:
    """``{uuid: block}`` of a page's ``block_layout.yaml`` (``pipelines/<uuid>/dashboard``)."""
    path = repo / 'mlops' / 'presenters' / page / 'block_layout.yaml'
    return yaml.safe_load(path.read_text())['blocks']


def layouts(repo: Path = REPO_ROOT) -> Dict[str, Dict[str, dict]]:
    """Every dashboard page of ``repo``: ``{page: {uuid: block}}``."""
    presenters = repo / 'mlops' / 'presenters'
    return {
        path.parent.relative_to(presenters).as_posix(): yaml.safe_load(path.read_text())['blocks']
        for path in sorted(presenters.glob('**/block_layout.yaml'))
    }


def chart_data(client, page: str, uuid: str) -> dict:
    """One chart's data as the server computes it for the page."""
    encoded = page.replace('/', '%2F')
    return client.get(f'/api/page_block_layouts/{encoded}/block_layout_items/{uuid}')['block_layout_item']['data']


def dashboard_charts(client, page: str, repo: Path = REPO_ROOT) -> Dict[str, Tuple[dict, dict]]:
    """Each chart of a page, as the layout declares it and as the server serves its data:
    ``{uuid: (block, data)}``."""
    return {uuid: (block, chart_data(client, page, uuid)) for uuid, block in layout_blocks(page, repo).items()}


def assert_serves(charts: Dict[str, Tuple[dict, dict]], expected: Dict[str, object]) -> None:
    """Each expected chart's served data equals its figures, in the shape Mage's frontend draws:
    a bar chart ``(labels, values)``, a table ``(columns, rows)``, a pie ``{label: count}``."""
    for uuid, figures in expected.items():
        block, data = charts[uuid]
        kind = block['configuration']['chart_type']
        if kind == 'bar chart':
            x, y = figures
            assert data['x'] == x and data['y'] == [y] and x, (uuid, data)
        elif kind == 'table':
            columns, rows = figures
            assert data['x'] == columns and data['y'] == rows and rows, (uuid, data)
        elif kind == 'pie chart':
            assert data['x'] == figures and figures, (uuid, data)
        else:
            raise AssertionError(f'{uuid}: no expectation for a {kind}')


def split_panels(blocks: Iterable[dict]) -> Tuple[Set[str], Set[str]]:
    """Panel titles of a page: (charts that draw SVG, tables)."""
    blocks = list(blocks)
    charts = {b['name'] for b in blocks if b['configuration']['chart_type'] != 'table'}
    return charts, {b['name'] for b in blocks} - charts


def draw(
    browser,
    base_url: str,
    page: str,
    blocks: Iterable[dict],
    screenshot: Path,
    shown: Iterable[str] = (),
    only: Optional[Set[str]] = None,
) -> Tuple[Set[str], str]:
    """Opens the page in a signed-in browser; waits until every chart (or those titled in
    ``only``) drew, every table title and each of ``shown`` is on the page (bounded); keeps a
    screenshot. Returns (titles of the charts that drew nothing, the page's text)."""
    from tests.browser import charts_drawn, page_text, wait_until

    charts, tables = split_panels(blocks)
    expected = charts if only is None else charts & only
    browser.get(f'{base_url}/{page}')
    drawn = charts_drawn(browser, expected, others=(charts - expected) | tables)
    wanted = (*tables, *shown)
    text = wait_until(
        browser,
        lambda b: all(t in page_text(b) for t in wanted) and page_text(b),
        120,
        f'{page} showing {sorted(wanted)}',
    )
    browser.save_screenshot(str(screenshot))
    print(f'screenshot: {screenshot}')
    return expected - set(drawn), text
