"""The base images the product's files name (``FROM python:...`` in the Dockerfiles, ``image:
postgres:...`` in docker-compose.yml), on the podman engine of tests/containers/podman.py: the
real image when it is there or can be pulled, otherwise a stand-in built from Debian bookworm
under exactly that name, so that nothing in the product's files changes for it.

The stand-ins (tests/containers/standins/, each Dockerfile says what differs from the real
image) start from a Debian bookworm made by debootstrap from Debian's archive (no registry of
images is reachable on these machines), imported once as ``localhost/mlops-debootstrap:bookworm``
and kept in the engine's storage. A stand-in carries the label ``mlops.standin``: the hash of
what it was built from; a changed build file rebuilds it, an unlabelled image (a real one)
is never replaced.

    python -m tests.containers.standins      (on the engine of tests/containers/podman.py)
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from pathlib import Path
from typing import Callable, Dict, Optional

from testkit.commands import run_command
from tests.containers.podman import REPO_ROOT, Podman

HERE = Path(__file__).resolve().parent / 'standins'
DEBIAN = 'localhost/mlops-debootstrap:bookworm'
DEBIAN_MIRROR = 'http://deb.debian.org/debian'
LABEL = 'mlops.standin'
HOST_CA_BUNDLE = Path('/etc/ssl/certs/ca-certificates.crt')


def qualified(name: str) -> str:
    """The name as Docker resolves it: ``postgres:16`` is ``docker.io/library/postgres:16``."""
    first = name.split('/', 1)[0]
    if '/' not in name:
        return f'docker.io/library/{name}'
    if '.' in first or ':' in first or first == 'localhost':
        return name
    return f'docker.io/{name}'


def python_image() -> str:
    """The base of both Dockerfiles (the same tag: tests/containers/test_dockerfiles.py)."""
    bases = {
        re.search(r'^FROM\s+(\S+)', (REPO_ROOT / name).read_text(), re.M)[1]
        for name in ('Dockerfile', 'mlflow.Dockerfile')
    }
    [base] = bases
    return qualified(base)


def postgres_image() -> str:
    return qualified(re.search(r'^\s+image:\s+(postgres:\S+)', (REPO_ROOT / 'docker-compose.yml').read_text(), re.M)[1])


def _python_tar(destination: Path) -> str:
    """The CPython running this module, as the python stand-in installs it in /usr/local: its
    interpreter, shared library, standard library (no site-packages, tests, tkinter, caches)
    and headers. Returns its version. The base image's minor version must be this one's."""
    prefix = Path(sys.base_prefix)
    version = f'{sys.version_info.major}.{sys.version_info.minor}'
    lib = Path(sysconfig.get_config_var('LIBDIR') or prefix / 'lib')
    if not (prefix / 'bin' / f'python{version}').exists() or lib.resolve() != (prefix / 'lib').resolve():
        raise RuntimeError(f'{prefix}: not a self-contained CPython install (bin/python{version}, lib/)')
    left_out = re.compile(
        rf'lib/python{version}/(site-packages/.+|test|idlelib/idle_test|tkinter|turtledemo|lib2to3/tests'
        rf'|config-{version}[^/]*/[^/]*\.a|lib-dynload/_tkinter[^/]*)(/.*)?$|(^|/)__pycache__(/|$)'
    )

    def keep(info: tarfile.TarInfo) -> Optional[tarfile.TarInfo]:
        if left_out.search(info.name):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = 'root'
        return info

    with tarfile.open(destination, 'w') as tar:
        tar.add(prefix / 'bin' / f'python{version}', f'bin/python{version}', filter=keep)
        tar.add(prefix / 'bin' / 'python3', 'bin/python3', filter=keep)
        for library in sorted(lib.glob('libpython3*.so*')):
            tar.add(library, f'lib/{library.name}', filter=keep)
        tar.add(prefix / 'lib' / f'python{version}', f'lib/python{version}', filter=keep)
        tar.add(prefix / 'include', 'include', filter=keep)
    return sys.version.split()[0]


def _python_context(context: Path) -> str:
    return 'python ' + _python_tar(context / 'python.tar')


def _postgres_context(context: Path) -> str:
    return ''


STANDINS: Dict[str, tuple] = {
    # image name -> (Dockerfile, what the context adds besides standins/ and the host's CA bundle)
    'python': ('python.Dockerfile', _python_context),
    'postgres': ('postgres.Dockerfile', _postgres_context),
}


def debian_base(engine: Podman) -> None:
    """``localhost/mlops-debootstrap:bookworm``, made once (debootstrap, about a minute)."""
    if engine.run('image', 'exists', DEBIAN, check=False).returncode == 0:
        return
    with tempfile.TemporaryDirectory(prefix='mlops-debootstrap-') as work:
        root = Path(work) / 'root'
        command = ['debootstrap', '--variant=minbase', 'bookworm', str(root), DEBIAN_MIRROR]
        result = run_command(engine.niced(command), timeout=1800)
        if result.returncode:
            raise RuntimeError(f'debootstrap failed: {result.stdout[-2000:]}{result.stderr[-2000:]}')
        for cache in ('var/cache/apt/archives', 'var/lib/apt/lists'):  # downloads, not the system
            for path in (root / cache).glob('*'):
                if path.is_file():
                    path.unlink()
        tar = subprocess.Popen(['tar', '-C', str(root), '-c', '.'], stdout=subprocess.PIPE)
        engine.run('import', '--change', 'CMD ["bash"]', '-', DEBIAN, stdin=tar.stdout, timeout=600)
        tar.stdout.close()
        if tar.wait():
            raise RuntimeError('tar of the debootstrap tree failed')


def _label(engine: Podman, image: str) -> Optional[str]:
    """None when the image is absent, '' when it carries no stand-in label (a real image)."""
    result = engine.run('image', 'inspect', '--format', '{{ index .Labels "%s" }}' % LABEL, image, check=False)
    if result.returncode:
        return None
    value = result.stdout.strip()
    return '' if value == '<no value>' else value


def ensure(engine: Podman, image: str, kind: str, log: Callable[[str], None] = print) -> str:
    """``image`` present on the engine; returns how: 'present', 'pulled' or 'stand-in built'."""
    dockerfile, add_context = STANDINS[kind]
    with tempfile.TemporaryDirectory(prefix='mlops-standin-') as work:
        context = Path(work)
        for path in HERE.iterdir():
            shutil.copy2(path, context / path.name)
        shutil.copy2(HOST_CA_BUNDLE, context / 'ca-certificates.crt')
        described = add_context(context)
        digest = hashlib.sha256()  # the Dockerfile and what it copies (python.tar: `described`)
        text = (context / dockerfile).read_text()
        for path in sorted(context.iterdir()):
            if (path.name == dockerfile or path.name in text) and path.name != 'python.tar':
                digest.update(path.name.encode() + b'\0' + path.read_bytes())
        digest.update(described.encode())
        wanted = digest.hexdigest()[:16]
        label = _label(engine, image)
        if label == '' or label == wanted:
            return 'present'
        if label is None and engine.run('pull', '--quiet', image, check=False, timeout=900).returncode == 0:
            return 'pulled'
        log(f'{image}: cannot be pulled, building a stand-in ({dockerfile}, {described or "Debian packages"})')
        debian_base(engine)
        result = engine.run(
            'build', '--network=host', '--label', f'{LABEL}={wanted}', '-f', str(context / dockerfile),
            '-t', image, str(context), check=False, timeout=1800,
        )  # fmt: skip
        if result.returncode:
            raise RuntimeError(f'building the stand-in {image} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}')
        return 'stand-in built'


def ensure_base_images(engine: Podman, log: Callable[[str], None] = print) -> Dict[str, str]:
    """Both base images; image -> how it came to be there."""
    return {
        image: ensure(engine, image, kind, log)
        for image, kind in ((python_image(), 'python'), (postgres_image(), 'postgres'))
    }


if __name__ == '__main__':
    with Podman(nice=19) as podman:
        for name, how in ensure_base_images(podman, log=lambda line: print(line, file=sys.stderr)).items():
            print(f'{name}: {how}')
