"""A walk through Mage's UI in headless Chromium, as a person clicks it, reporting what it shows wrong.

The promise it checks: every pipeline of every sub-project works whichever sub-project is active.
So, leaving active the sub-project the server opened on (unit_1_data_preparation by default),
it opens each pipeline of each sub-project of ``mlops/settings.yaml`` where the pipelines list
links to (``/pipelines/<uuid>``, which lands on its Triggers page), then its Runs page, the
newest run there, its Dashboard and its editor. Then it chooses each sub-project once in the
header's menu, checks that the pipelines list shows its pipelines, and chooses the first again.

Each page is awaited until it rendered and its requests are answered, and kept as
``out_dir/<name>.png``. Reported, per page:
- error text Mage shows, matched on whole lines (block code in the editor aside, so a column
  "Errors" or a ``raise`` in a block is not one): the header's "Error loading pipeline", the
  error pop-up ("Error", then the server's message), "... does not exist", a traceback,
  ``SomeError: ...``, "No data matching query";
- a page not rendered in time, or ``/pipelines/<uuid>`` not landing on the Triggers page;
- a trigger of the pipeline's ``triggers.yaml`` that its Triggers page does not list;
- on a Dashboard, each chart of ``mlops/presenters/pipelines/<uuid>/dashboard/block_layout.yaml``
  that drew nothing once the server had sent its data (no SVG bar, arc or line with an area, as
  ``tests.dashboards.draw`` decides; a table: no cell). Every chart says "No data matching
  query" while its data is on the way, so that text alone does not tell;
- a pipeline of the chosen sub-project missing from the pipelines list.

Why it is this long: each of those checks reads a page Mage renders in React, which needs a
script of its own (the menu, the run link, the block code, a chart's marks, the requests in
flight), and the walk is one path through the pages that they all serve.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import yaml

from tests.browser import page_text, wait_until
from tests.dashboards import layouts

PAGE_TIMEOUT, CHART_TIMEOUT, SETTLE = 60.0, 120.0, 2.0
# A page has settled once no request of its own has been in flight for QUIET seconds (at most
# SETTLE after it rendered): its late answers, and an error pop-up one may bring, are in.
QUIET = 0.3
# Counts the page's requests in flight (fetch and XMLHttpRequest), installed before any script
# of the page runs (Chromium's Page.addScriptToEvaluateOnNewDocument).
_COUNT_REQUESTS = """
(() => {
  if (window.__mlopsInFlight !== undefined) return;
  window.__mlopsInFlight = 0;
  window.__mlopsLastAnswer = performance.now();
  const answered = () => { window.__mlopsInFlight -= 1; window.__mlopsLastAnswer = performance.now(); };
  const fetch = window.fetch;
  window.fetch = function (...args) {
    window.__mlopsInFlight += 1;
    return fetch.apply(this, args).finally(answered);
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    window.__mlopsInFlight += 1;
    this.addEventListener('loadend', answered, { once: true });
    return send.apply(this, args);
  };
})();
"""
_QUIET_FOR = """
if (window.__mlopsInFlight === undefined) return null;
return window.__mlopsInFlight > 0 ? 0 : (performance.now() - window.__mlopsLastAnswer) / 1000;
"""
# What an empty chart says: "No data matching query", "Chart hasn’t been configured or no data was retrieved."
NO_DATA = ('No data matching query', 'been configured or no data was retrieved')
ERROR_LINE = re.compile(
    r'^(Error loading .*|Something went wrong.*|Internal Server Error|Traceback.*|.*does not exist.*'
    r'|\w*(Error|Exception): .*|' + '|'.join(f'.*{re.escape(n)}.*' for n in NO_DATA) + ')$'
)
POP_UP_LINKS = ('Traceback (show traceback)', 'Stack trace (show stack trace)')  # under the pop-up's message
# A pipeline page has rendered once its text shows one of these.
READY = {
    'triggers': ('No triggers available', 'Next run date'),
    'runs': ('No runs available', 'Execution date'),
    'run': ('Block runs',),
    'dashboard': ('Create a custom dashboard', 'Create new chart'),
}
# The dashboard item titled arguments[0]: its marks (SVG rect or path with an area) and table
# cells; null while it is not shown.
_CHART = """
const title = [...document.querySelectorAll('body *')].find(e => e.children.length === 0
    && e.textContent.trim() === arguments[0]);
const panel = title && title.closest('[draggable=true]');
if (!panel) { return null; }
const marks = [...panel.querySelectorAll('svg rect, svg path')].filter(m => {
  const box = m.getBoundingClientRect(); return box.width > 0 && box.height > 0; }).length;
return {marks: marks, cells: panel.querySelectorAll('[role=cell]').length};
"""
_ANSWERED = (  # the dashboard items whose data the server has sent (a chart says "no data" until then)
    "return performance.getEntriesByType('resource').map(e => e.name.split('?')[0])"
    ".filter(n => n.includes('/block_layout_items/')).map(n => decodeURIComponent(n.split('/').pop()))"
)
_CODE = "return [...document.querySelectorAll('.view-lines')].map(e => e.innerText).join('\\n')"
_MENU = (  # the header's sub-project menu: the select with an option arguments[0]
    "return [...document.querySelectorAll('select')].find(s => [...s.options].some(o => o.value === arguments[0]))"
)
_RUN_LINK = (  # the first run the Runs page links to: its newest
    "return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
    r'.find(h => /\/runs\/\d+$/.test(h))'
)


def sub_projects(repo: Path) -> List[str]:
    return list(yaml.safe_load((repo / 'mlops' / 'settings.yaml').read_text())['projects'])


def pipelines_of(repo: Path, project: str) -> List[str]:
    return sorted(p.parent.name for p in (repo / 'mlops' / project / 'pipelines').glob('*/metadata.yaml'))


def _pipeline_yaml(repo: Path, project: str, pipeline: str, name: str) -> dict:
    path = repo / 'mlops' / project / 'pipelines' / pipeline / name
    return (yaml.safe_load(path.read_text()) if path.exists() else None) or {}


def declared_triggers(repo: Path, project: str, pipeline: str) -> List[str]:
    return [t['name'] for t in _pipeline_yaml(repo, project, pipeline, 'triggers.yaml').get('triggers', [])]


def code_blocks(repo: Path, project: str, pipeline: str) -> List[str]:
    blocks = _pipeline_yaml(repo, project, pipeline, 'metadata.yaml')['blocks']
    return [b['uuid'] for b in blocks if b.get('type') != 'markdown']


def shown_errors(browser, charts_checked: bool = False) -> List[str]:
    """Error lines the page shows, code in editors aside: Mage's error pop-up as "Error: <its
    message>" (without its traceback links), then each other error line; an empty chart's
    line only when ``charts_checked`` is False (the chart check names the chart)."""
    code = set(browser.execute_script(_CODE).splitlines())
    lines = [line.strip() for line in page_text(browser).splitlines() if line.strip() and line not in code]
    messages = [lines[i + 1] for i, line in enumerate(lines[:-1]) if line == 'Error']
    others = [
        line
        for line in lines
        if ERROR_LINE.match(line)
        and line not in messages
        and not (messages and line in POP_UP_LINKS)
        and not (charts_checked and any(n in line for n in NO_DATA))
    ]
    return list(dict.fromkeys([f'Error: {m}' for m in messages] + others))


def open_page(browser, url: str, ready: Sequence[str], timeout: float = PAGE_TIMEOUT) -> bool:
    """Loads ``url``, waits until its text shows one of ``ready`` or an error, then until its late
    requests are answered (``settle``); False if neither came within ``timeout``."""
    from selenium.common.exceptions import TimeoutException

    browser.get(url)
    try:
        wait_until(browser, lambda b: any(r in page_text(b) for r in ready) or shown_errors(b), timeout, url)
    except TimeoutException:
        return False
    settle(browser)
    return True


def settle(browser) -> None:
    """Until no request of the page has been in flight for ``QUIET`` seconds, ``SETTLE`` at most
    (all of it where the request counter is not installed)."""
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        quiet = browser.execute_script(_QUIET_FOR)
        if quiet is None:
            time.sleep(max(deadline - time.monotonic(), 0))
            return
        if quiet >= QUIET:
            return
        time.sleep(0.1)


@contextmanager
def requests_counted(browser) -> Iterator[None]:
    """Every page loaded inside counts its requests in flight (for ``settle``)."""
    added = browser.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': _COUNT_REQUESTS})
    try:
        yield
    finally:
        browser.execute_cdp_cmd('Page.removeScriptToEvaluateOnNewDocument', {'identifier': added['identifier']})


def _drew(browser, block: dict) -> bool:
    state = browser.execute_script(_CHART, block['name'])
    return bool(state and (state['cells'] if block['configuration']['chart_type'] == 'table' else state['marks']))


def undrawn_charts(browser, blocks: Dict[str, dict], timeout: float = CHART_TIMEOUT) -> List[str]:
    """Problems of the dashboard's charts (``{uuid: block}`` of its layout): each that drew
    nothing a second after the server sent its data, or got none within ``timeout``."""
    deadline, answered = time.monotonic() + timeout, set()
    while True:
        undrawn = [uuid for uuid, block in blocks.items() if not _drew(browser, block)]
        if time.monotonic() > deadline or set(undrawn) <= answered:
            break
        answered = set(browser.execute_script(_ANSWERED))  # drawn by the next look, a second later
        time.sleep(1)
    return [
        f'chart {blocks[u]["name"]!r} ' + ('drew no data' if u in answered else f'got no data within {timeout:.0f} s')
        for u in undrawn
    ]


def check_page(
    browser,
    base_url: str,
    path: str,
    ready: Sequence[str],
    shot: Path,
    where: str,
    charts: Optional[Dict[str, dict]] = None,
) -> List[str]:
    """Opens one page (and awaits its ``charts``), keeps its screenshot; its problems, named."""
    started = time.monotonic()
    problems = [] if open_page(browser, base_url + path, ready) else [f'not rendered within {PAGE_TIMEOUT:.0f} s']
    problems += undrawn_charts(browser, charts or {})
    browser.save_screenshot(str(shot))
    print(f'{path} [{where}]: {time.monotonic() - started:.1f} s, {shot}')
    problems += shown_errors(browser, charts_checked=bool(charts))
    return [f'{path} [{where}]: {problem}' for problem in problems]


def walk_pipeline(
    browser, base_url: str, repo: Path, project: str, pipeline: str, shots: Path, active: str
) -> List[str]:
    """The pipeline's Triggers, Runs, newest run, Dashboard and editor pages, ``active`` active."""
    where, home = f'{project}, {active} active', f'/pipelines/{pipeline}'

    def visit(path: str, page: str, ready: Sequence[str] = (), charts: Optional[Dict[str, dict]] = None) -> List[str]:
        shot = shots / f'{project}--{pipeline}--{page}.png'
        return check_page(browser, base_url, path, ready or READY[page], shot, where, charts)

    problems = visit(home, 'triggers')
    if not browser.current_url.split('?')[0].endswith(f'{home}/triggers'):
        problems.append(f'{home} [{where}]: landed on {browser.current_url}, not on the Triggers page')
    listed = page_text(browser)
    problems += [
        f'{home}/triggers [{where}]: trigger {t!r} not listed'
        for t in declared_triggers(repo, project, pipeline)
        if t not in listed
    ]
    problems += visit(f'{home}/runs', 'runs')
    run = browser.execute_script(_RUN_LINK)
    problems += visit(run, 'run') if run else []
    problems += visit(f'{home}/dashboard', 'dashboard', charts=layouts(repo).get(f'pipelines/{pipeline}/dashboard'))
    return problems + visit(f'{home}/edit', 'edit', code_blocks(repo, project, pipeline))


def choose_in_header(browser, project: str) -> None:
    """The header's sub-project menu (a select listing every sub-project): choose ``project``
    and wait until the reloaded page shows it chosen (at once if it is)."""
    from selenium.webdriver.support.ui import Select

    chooser = Select(wait_until(browser, lambda b: b.execute_script(_MENU, project), 60, 'the sub-project menu'))
    if chooser.first_selected_option.get_attribute('value') == project:
        return
    browser.execute_script('window.beforeTheSwitch = true')  # gone once the page has reloaded
    chooser.select_by_value(project)
    wait_until(
        browser,
        lambda b: (
            not b.execute_script('return window.beforeTheSwitch === true')
            and b.execute_script(_MENU + '?.value', project) == project
        ),
        60,
        f'the page reloaded with {project} chosen',
    )


def check_pipelines_list(browser, base_url: str, repo: Path, project: str, shot: Path) -> List[str]:
    """Choose ``project`` in the header on the pipelines list: it lists its pipelines."""
    browser.get(base_url + '/pipelines')
    choose_in_header(browser, project)
    where, pipelines = f'{project} chosen in the header', pipelines_of(repo, project)
    problems = check_page(browser, base_url, '/pipelines', pipelines, shot, where)
    listed = page_text(browser)
    return problems + [f'/pipelines [{where}]: pipeline {p!r} not listed' for p in pipelines if p not in listed]


def walk_ui(browser, base_url: str, repo: Path, out_dir: Path) -> List[str]:
    """Walks every pipeline page of every sub-project with the sub-project the header shows
    kept active, then each sub-project in the header's menu, then that one again. Returns the
    problems seen, each naming its page; screenshots go to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    projects = sub_projects(repo)
    with requests_counted(browser):
        browser.get(base_url + '/pipelines')
        menu = wait_until(browser, lambda b: b.execute_script(_MENU, projects[0]), 60, 'the sub-project menu')
        active = menu.get_attribute('value')
        problems = []
        for project in projects:
            for pipeline in pipelines_of(repo, project):
                problems += walk_pipeline(browser, base_url, repo, project, pipeline, out_dir, active)
        for n, project in enumerate([*projects, active], 1):
            shot = out_dir / f'pipelines-{n}--{project}.png'
            problems += check_pipelines_list(browser, base_url, repo, project, shot)
    return problems
