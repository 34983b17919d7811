"""Mage workarounds wait for Mage's own import: ``patch_on_import``, the two server patches, the SMTP timeout."""
import os
import subprocess
import sys
import textwrap

from mlops.utils.orchestration.mage_internals import patch_on_import
from tests.chain import REPO_ROOT


def test_a_patch_applies_at_first_import_and_at_once_when_already_imported(tmp_path, monkeypatch):
    (tmp_path / 'late_module.py').write_text('VALUE = 1\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    patch_on_import('late_module', lambda module: seen.append(module.VALUE))
    assert seen == []  # nothing imported yet, nothing patched
    import late_module  # noqa: F401
    assert seen == [1]
    patch_on_import('late_module', lambda module: seen.append(module.VALUE + 1))
    assert seen == [1, 2]
    monkeypatch.delitem(sys.modules, 'late_module')


def test_the_server_patches_leave_mage_unimported_until_mage_imports_itself():
    """In a clean interpreter: installing does not import Mage (its database would open with
    the wrong repo path); importing Mage's modules later finds them patched."""
    script = textwrap.dedent('''
        import sys
        from mlops.utils.orchestration.mage_internals import (install_single_block_run_creator,
                                                              install_worker_pool_revival)
        install_worker_pool_revival()
        install_single_block_run_creator()
        assert not [m for m in sys.modules if m.startswith('mage_ai.orchestration')], 'Mage imported early'
        from mage_ai.orchestration.queue.process_queue import ProcessQueue
        from mage_ai.orchestration.triggers import utils
        assert ProcessQueue.has_job.__module__ == 'mlops.utils.orchestration.mage_internals'
        assert utils.configure_pipeline_run_payload.__module__ == 'mlops.utils.orchestration.mage_internals'
        print('patched')
    ''')
    result = subprocess.run([sys.executable, '-c', script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith('patched')


def test_an_alert_mail_to_a_silent_smtp_server_gives_up_after_the_timeout():
    """A server that accepts the connection and never greets (a host dropping packets looks
    the same to smtplib): Mage's own ``send_email`` raises a timeout instead of waiting for
    ever. The child process is bounded here; without the patch it would hang until killed."""
    import socket

    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)  # the kernel completes the handshake; nobody ever answers
    script = textwrap.dedent(f'''
        from mlops.utils.orchestration.mage_internals import install_smtp_timeout
        install_smtp_timeout()
        from mage_ai.services.email.config import EmailConfig
        from mage_ai.services.email.email import send_email
        config = EmailConfig(smtp_host='127.0.0.1', smtp_port={silent.getsockname()[1]},
                             smtp_mail_from='mage@example.com', to_emails=['alerts@example.com'])
        import smtplib
        try:
            send_email(config, subject='s', message='m', verbose=False)
        except (TimeoutError, smtplib.SMTPException) as error:  # smtplib words a timed-out greeting so
            print('gave up:', error)
    ''')
    try:
        result = subprocess.run([sys.executable, '-c', script], cwd=REPO_ROOT, capture_output=True, text=True,
                                timeout=120, env={**os.environ, 'SMTP_TIMEOUT': '1'})
    finally:
        silent.close()
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith('gave up:') and 'timed out' in result.stdout, result.stdout
