"""Podman as the Docker engine of the container check (tests/containers/test_stack.py), and by hand:

    python -m tests.containers.podman [--nice] [COMMAND...]    (default: an interactive shell)

runs COMMAND with ``docker``, ``docker-compose`` v1 and ``podman`` talking to this engine, then
stops it (the containers it started keep running: stop them with ``docker-compose down``).

Why this shape: no Docker engine runs on these machines, but Debian's podman runs containers as
root once told to use runc (crun refuses the hybrid cgroups) and lower default ulimits (the
defaults exceed what the machine allows: ``setrlimit ... operation not permitted``). It is
configured through the environment only (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF,
CONTAINERS_REGISTRIES_CONF), never by writing /etc: a developer's own podman, its images,
containers and networks, is not touched. This engine keeps its images and layer cache under
~/.cache/mlops-podman (reused from run to run, as Docker's is), its runtime state under
/run/mlops-podman, and gives its networks subnets of their own (10.213-10.214.x).

The Docker API is ``podman system service`` on a unix socket in a temporary folder, which
DOCKER_HOST names. Health checks: podman runs them from systemd timers, and where systemd is
not the init (a container, as here) none ever runs, so a container stays ``starting`` for ever
and a ``depends_on: condition: service_healthy`` never lets its dependant start.
``HealthChecks`` runs ``podman healthcheck run`` for every running container that declares a
check, at the check's interval, as Docker's engine does.

Why it is this long: a container engine set up through the environment alone (storage, registries,
runc, ulimits, networks) is many small settings, each with its reason.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mlops.utils.paths import REPO_ROOT

CACHE_DIR = Path(os.environ.get('MLOPS_PODMAN_CACHE') or Path.home() / '.cache' / 'mlops-podman')
RUN_DIR = Path('/run/mlops-podman')
# The Debian packages the engine needs (scripts/test.sh installs them): netavark and aardvark-dns
# make the networks, where a service finds another by name; debootstrap the stand-ins' Debian.
# Not podman-docker: its /usr/bin/docker (and the docker-compose it recommends) would change what
# every program on the machine finds; Podman puts a `docker` of its own on the clients' PATH.
PACKAGES = ('podman', 'runc', 'netavark', 'aardvark-dns', 'iptables', 'debootstrap')
EXECUTABLES = {'podman': 'podman', 'runc': 'runc', 'debootstrap': 'debootstrap', 'iptables': 'iptables'}


class EngineUnavailable(RuntimeError):
    """Podman cannot run containers here, and why."""


def missing_executables() -> List[str]:
    return [name for name, command in EXECUTABLES.items() if not shutil.which(command)] + [
        name for name in ('netavark', 'aardvark-dns') if not Path('/usr/lib/podman', name).exists()
    ]


def check_usable() -> None:
    """Raises EngineUnavailable naming what is missing: the check never skips silently."""
    missing = missing_executables()
    if missing:
        raise EngineUnavailable(
            f'podman is not usable here: missing {", ".join(missing)}. Install the Debian packages '
            f'{" ".join(PACKAGES)} (./scripts/test.sh installs them when it may use apt-get).'
        )
    if os.getuid() != 0:
        raise EngineUnavailable(
            'the container check runs podman as root (rootless podman needs subuid ranges and '
            'user namespaces that these machines do not have): run it as root'
        )


def _toml_list(values: Sequence[str]) -> str:
    return '[' + ', '.join(json.dumps(value) for value in values) + ']'


def write_config(conf_dir: Path, cache_dir: Path = CACHE_DIR, run_dir: Path = RUN_DIR) -> Dict[str, str]:
    """The three configuration files, in conf_dir; returns the variables that select them."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    containers = f"""# Written by tests/containers/podman.py: podman for the container check.
[containers]
# The defaults (nofile 1048576, nproc unlimited) exceed what these machines allow.
default_ulimits = {_toml_list(['nofile=1024:1024', 'nproc=4096:4096'])}
log_driver = "k8s-file"

[engine]
# crun refuses the hybrid (v1 + v2) cgroup hierarchy; runc runs.
runtime = "runc"
# No systemd as init: plain cgroupfs and a file for podman's events.
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{run_dir}/events.log"
tmp_dir = "{run_dir}/libpod"

[network]
network_backend = "netavark"
network_config_dir = "{cache_dir}/networks"
default_subnet = "10.213.0.0/24"
default_subnet_pools = [{{"base" = "10.214.0.0/16", "size" = 24}}]
"""
    storage = f"""# Written by tests/containers/podman.py: this engine's own images and layer cache.
[storage]
driver = "overlay"
graphroot = "{cache_dir}/storage"
runroot = "{run_dir}/storage"
"""
    # Image names as Docker resolves them: `postgres:16.4-bookworm` is docker.io/library/...
    registries = 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n'
    files = {
        'CONTAINERS_CONF': ('containers.conf', containers),
        'CONTAINERS_STORAGE_CONF': ('storage.conf', storage),
        'CONTAINERS_REGISTRIES_CONF': ('registries.conf', registries),
    }
    variables = {}
    for variable, (name, text) in files.items():
        (conf_dir / name).write_text(text)
        variables[variable] = str(conf_dir / name)
    return variables


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: Path, timeout: float):
        super().__init__('podman', timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.socket_path))


def api(socket_path: Path, path: str, timeout: float = 10):
    """GET ``path`` of the Docker API on the socket: the decoded JSON, or the text."""
    connection = _UnixConnection(socket_path, timeout)
    try:
        connection.request('GET', path)
        response = connection.getresponse()
        body = response.read().decode()
        if response.status >= 400:
            raise OSError(f'{path}: HTTP {response.status} {body[:200]}')
        return json.loads(body) if 'json' in response.getheader('Content-Type', '') else body
    finally:
        connection.close()


def _ping(socket_path: Path) -> bool:
    """The Docker API's /_ping answers OK."""
    try:
        return api(socket_path, '/_ping', timeout=2) == 'OK'
    except OSError:
        return False


def _nanoseconds(value) -> float:
    return float(value or 0) / 1e9


class HealthChecks:
    """Runs each running container's health check at its interval (first one interval after
    the container starts, as Docker does), a few at a time, one at a time per container."""

    def __init__(self, engine: 'Podman', workers: int = 4):
        self.engine = engine
        self.intervals: Dict[str, Optional[float]] = {}  # per container id: it never changes
        self.due: Dict[str, float] = {}
        # When a container's check first passed (time.time()): when it turned healthy. Podman's
        # own health_status events carry the status from before the check that emits them.
        self.healthy_since: Dict[str, float] = {}
        self.running: set = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix='healthcheck')
        self.thread = threading.Thread(target=self._loop, name='healthchecks', daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _containers(self) -> Dict[str, float]:
        """Running containers with a health check: id -> interval in seconds (through the
        API: a podman process a second would cost a shared machine's core a tenth of its time)."""
        running = [listed['Id'] for listed in api(self.engine.socket, '/containers/json')]
        for container in running:
            if container not in self.intervals:
                try:
                    check = api(self.engine.socket, f'/containers/{container}/json')['Config'].get('Healthcheck') or {}
                except OSError:  # gone between the two calls
                    continue
                declared = check.get('Test') and check['Test'] != ['NONE']
                self.intervals[container] = (_nanoseconds(check.get('Interval')) or 30.0) if declared else None
        return {container: self.intervals[container] for container in running if self.intervals.get(container)}

    def _loop(self) -> None:
        while not self.stopping.wait(1.0):
            try:
                checks = self._containers()
            except Exception as error:  # the service restarting: try again next second
                print(f'healthchecks: {error}', file=sys.stderr)
                continue
            now = time.monotonic()
            with self.lock:
                for container in list(self.due):
                    if container not in checks:
                        del self.due[container]
                for container, interval in checks.items():
                    due = self.due.setdefault(container, now + interval)
                    if due <= now and container not in self.running:
                        self.running.add(container)
                        self.due[container] = now + interval
                        self.pool.submit(self._check, container)

    def _check(self, container: str) -> None:
        try:
            if self.engine.run('healthcheck', 'run', container, check=False, timeout=300).returncode == 0:
                self.healthy_since.setdefault(container, time.time())
        finally:
            with self.lock:
                self.running.discard(container)


class Podman:
    """The engine: configuration, ``podman system service`` and the health checks; a context
    manager. ``env`` holds the variables a client needs (CONTAINERS_*, DOCKER_HOST)."""

    def __init__(
        self, cache_dir: Path = CACHE_DIR, run_dir: Path = RUN_DIR, nice: int = 0, compose: Optional[Path] = None
    ):
        self.cache_dir, self.run_dir, self.nice = cache_dir, run_dir, nice
        self.dir = Path(tempfile.mkdtemp(prefix='mlops-podman-'))
        self.socket = self.dir / 'podman.sock'
        self.env: Dict[str, str] = {
            **write_config(self.dir / 'conf', cache_dir, run_dir),
            'DOCKER_HOST': f'unix://{self.socket}',
            # Images in Docker's format, as `docker build` makes them: the OCI format has no
            # HEALTHCHECK (podman drops the Dockerfiles' own with a warning).
            'BUILDAH_FORMAT': 'docker',
        }
        # First on PATH: `docker-compose` without the rest of its virtualenv's bin/, and where
        # no Docker command is installed, `docker` as podman (what podman-docker installs in
        # /usr/bin, without changing the machine for every other program).
        bin_dir = self.dir / 'bin'
        bin_dir.mkdir()
        if compose:
            (bin_dir / 'docker-compose').symlink_to(compose)
        if not shutil.which('docker'):
            (bin_dir / 'docker').symlink_to(shutil.which('podman') or '/usr/bin/podman')
        self.env['PATH'] = f'{bin_dir}:{os.environ["PATH"]}'
        self.service: Optional[subprocess.Popen] = None
        self.health_checks: Optional[HealthChecks] = None

    def environ(self, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        return {**(os.environ if base is None else base), **self.env}

    def niced(self, command: List[str]) -> List[str]:
        return ['nice', '-n', str(self.nice), 'ionice', '-c3', *command] if self.nice else command

    def run(self, *args: str, check: bool = True, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
        """``podman ARGS`` on this engine's storage; output captured as text."""
        return subprocess.run(
            self.niced(['podman', *args]),
            env=self.environ(),
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
            **kwargs,
        )

    def __enter__(self) -> 'Podman':
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        check_usable()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.dir / 'service.log', 'w')
        # --time=0: no idle timeout; the service ends with this object.
        self.service = subprocess.Popen(
            self.niced(['podman', 'system', 'service', '--time=0', f'unix://{self.socket}']),
            env=self.environ(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not _ping(self.socket):
            if self.service.poll() is not None or time.monotonic() > deadline:
                raise EngineUnavailable(
                    f'podman system service did not answer: {(self.dir / "service.log").read_text()[-2000:]}'
                )
            time.sleep(0.2)
        self.health_checks = HealthChecks(self)
        self.health_checks.start()

    def __exit__(self, *exc) -> None:
        if self.health_checks:
            self.health_checks.stop()
        if self.service and self.service.poll() is None:
            os.killpg(self.service.pid, signal.SIGTERM)
            try:
                self.service.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.service.pid, signal.SIGKILL)
                self.service.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--nice', action='store_true', help='run the engine and its containers at nice 19, idle I/O')
    parser.add_argument('command', nargs=argparse.REMAINDER, help='what to run (default: $SHELL)')
    options = parser.parse_args(argv)
    command = options.command[1:] if options.command[:1] == ['--'] else options.command
    compose = Path(os.environ.get('MLOPS_COMPOSE_VENV') or REPO_ROOT / '.venv-compose') / 'bin' / 'docker-compose'
    with Podman(nice=19 if options.nice else 0, compose=compose if compose.exists() else None) as engine:
        print(
            'podman engine up: ' + ' '.join(f'{key}={value}' for key, value in engine.env.items()),
            file=sys.stderr,
        )
        return subprocess.call(command or [os.environ.get('SHELL', 'bash')], env=engine.environ())


if __name__ == '__main__':
    sys.exit(main())
