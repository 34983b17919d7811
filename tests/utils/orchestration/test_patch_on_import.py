"""Mage workarounds wait for Mage's own import: ``patch_on_import``, the two server patches, the SMTP timeout."""

import os
import sys
import textwrap

from mlops.utils.orchestration.patching import patch_on_import
from testkit.chain import REPO_ROOT
from testkit.commands import run_ok


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
    script = textwrap.dedent("""
        import sys
        from mlops.utils.orchestration.workarounds.single_block_run_creator import install_single_block_run_creator
        from mlops.utils.orchestration.workarounds.worker_pool_revival import install_worker_pool_revival
        install_worker_pool_revival()
        install_single_block_run_creator()
        assert not [m for m in sys.modules if m.startswith('mage_ai.orchestration')], 'Mage imported early'
        from mage_ai.orchestration.queue.process_queue import ProcessQueue
        from mage_ai.orchestration.triggers import utils
        assert ProcessQueue.has_job.__module__ == 'mlops.utils.orchestration.workarounds.worker_pool_revival'
        assert utils.configure_pipeline_run_payload.__module__ == (
            'mlops.utils.orchestration.workarounds.single_block_run_creator')
        print('patched')
    """)
    result = run_ok([sys.executable, '-c', script], cwd=REPO_ROOT, timeout=300)
    assert result.stdout.strip().endswith('patched')


def test_an_alert_mail_to_a_silent_smtp_server_gives_up_after_the_timeout():
    """A server that accepts the connection and never greets (a host dropping packets looks
    the same to smtplib): Mage's own ``send_email`` raises a timeout instead of waiting for
    ever. The child process is bounded here; without the patch it would hang until killed."""
    import socket

    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)  # the kernel completes the handshake; nobody ever answers
    script = textwrap.dedent(f"""
        from mlops.utils.orchestration.workarounds.smtp_timeout import install_smtp_timeout
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
    """)
    try:
        result = run_ok(
            [sys.executable, '-c', script], cwd=REPO_ROOT, timeout=120, env={**os.environ, 'SMTP_TIMEOUT': '1'}
        )
    finally:
        silent.close()
    assert result.stdout.startswith('gave up:') and 'timed out' in result.stdout, result.stdout


# Rewrites a large file 40 times with Mage's own ``safe_write``/``safe_write_async`` (as
# ``Pipeline.save`` and the editor's ``save_async`` call them) while a thread reads it in a loop;
# argv[1] says whether the patch is installed first. Prints reads, torn reads, mode, leftovers.
REWRITE_WHILE_READING = textwrap.dedent("""
    import asyncio, os, sys, threading
    if sys.argv[1] == 'patched':
        from mlops.utils.orchestration.workarounds.atomic_file_writes import install_atomic_file_writes
        install_atomic_file_writes()
    from mage_ai.data_preparation.models import pipeline  # binds the names at its import
    from mage_ai.shared.io import safe_write, safe_write_async
    patched = pipeline.safe_write is safe_write and safe_write.__module__.startswith('mlops.')
    assert patched == (sys.argv[1] == 'patched'), 'patched' if patched else 'not patched'
    path = os.path.join(sys.argv[2], 'metadata.yaml')
    versions = ['a' * 4_000_000, 'b' * 4_000_000]
    safe_write(path, versions[0])
    os.chmod(path, 0o640)
    torn, reads, done = [], [0], threading.Event()

    def read():
        while not done.is_set():
            with open(path, encoding='utf-8') as f:
                text = f.read()
            reads[0] += 1
            if text not in versions:
                torn.append(len(text))

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(20):
        safe_write(path, versions[i % 2])
        asyncio.run(safe_write_async(path, versions[(i + 1) % 2]))
    done.set()
    reader.join()
    leftovers = sorted(set(os.listdir(sys.argv[2])) - {'metadata.yaml'})
    print('reads', reads[0], 'torn', len(torn), 'mode', oct(os.stat(path).st_mode & 0o777), 'left', leftovers)
""")


def rewrite_while_reading(folder, patched: bool):
    folder.mkdir()
    result = run_ok(
        [sys.executable, '-c', REWRITE_WHILE_READING, 'patched' if patched else 'unpatched', str(folder)],
        cwd=REPO_ROOT,
        timeout=300,
    )
    reads, torn, mode, left = result.stdout.splitlines()[-1].split()[1::2]
    assert int(reads) > 20, result.stdout  # the reader ran beside the writes
    return int(torn), mode, left


def test_files_mage_rewrites_are_never_seen_empty_or_half_written(tmp_path):
    """With the patch every read is the old or the new content, whole, the file keeps its
    permissions and no temporary file is left beside it; the same rewrites without the patch,
    on this machine, give torn reads (the check can see them). The content is large so that an
    in-place write is caught between truncate and end."""
    assert rewrite_while_reading(tmp_path / 'patched', patched=True) == (0, '0o640', '[]')
    torn, _, _ = rewrite_while_reading(tmp_path / 'unpatched', patched=False)
    assert torn > 0
