"""``python -m mlops.utils.orchestration.workarounds``: the settings the workarounds read, checked
before a server starts (the alert mails' SMTP settings, ``smtp_settings``, and who may reach
Mage, ``web_origin``); prints
``error: ...`` naming a bad one and exits 2, else prints nothing. ``install_workarounds`` makes
the same check, so a start that skips this still stops, with a traceback."""

from __future__ import annotations

import argparse
import sys
from typing import List

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.workarounds.smtp_settings import check_smtp_settings
from mlops.utils.orchestration.workarounds.web_origin import web_access


def main(argv: List[str]) -> int:
    argparse.ArgumentParser(
        prog='python -m mlops.utils.orchestration.workarounds',
        description='Check the settings the workarounds of Mage read (SMTP_*, MLOPS_ALLOWED_*): exit 2 naming a bad one.',
    ).parse_args(argv)
    try:
        check_smtp_settings()
        web_access()
    except ConfigError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
