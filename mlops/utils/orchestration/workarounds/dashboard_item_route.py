"""Mage 0.9.80 serves no dashboard chart's data: a route for page ids takes the chart's path.

Upstream: no issue found (``mage_ai/server/server.py``'s route order). Can go when
``GET /api/page_block_layouts/<page>/block_layout_items/<chart>`` answers the chart's data
without it (the dashboard tests read every chart through that route).
"""

from __future__ import annotations

from types import ModuleType

from mlops.utils.orchestration.patching import patch_on_import

# A dashboard chart's data: GET /api/page_block_layouts/<page>/block_layout_items/<chart>.
DASHBOARD_ITEM_ROUTE = (
    r'/api/(?P<resource>page_block_layouts)/(?P<pk>[^/]+)'
    r'/(?P<child>block_layout_items)/(?P<child_pk>[^/]+)'
)


def _dashboard_items_routed(module: ModuleType) -> None:
    original = module.make_app

    def make_app(*args, **kwargs):
        from mage_ai.server.api.v1 import ApiChildDetailHandler
        from tornado.routing import PathMatches, Rule

        app = original(*args, **kwargs)
        update_routes = kwargs.get('update_routes', args[1] if len(args) > 1 else False)
        prefix = f'/{module.ROUTES_BASE_PATH}' if update_routes else ''
        app.wildcard_router.rules.insert(0, Rule(PathMatches(prefix + DASHBOARD_ITEM_ROUTE), ApiChildDetailHandler))
        return app

    module.make_app = make_app


def install_dashboard_item_route() -> None:
    """Mage 0.9.80 serves no dashboard chart: the frontend asks each chart's data at
    ``/api/page_block_layouts/<page>/block_layout_items/<chart>``, but the route meant for
    page ids with slashes (``page_block_layouts/(?P<pk>.+)``, ``mage_ai/server/server.py``)
    comes before the child-resource route and takes the whole path as a page id: every chart
    gets an empty page instead of its data. This puts a route for the chart items first."""
    patch_on_import('mage_ai.server.server', _dashboard_items_routed)
