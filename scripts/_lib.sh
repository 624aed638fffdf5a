# Sourced by the scripts beside it: the repository's paths, root-or-sudo, apt-get, and .venv.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"  # the interpreter .venv is made from; must be 3.11 or newer

say() { printf 'mpscope: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run '$*', and sudo is not installed"
  fi
}

# apt_install PACKAGE...: Debian packages, with one 'apt-get update' per script run.
APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* with your system's package manager"
  say "installing $* with apt-get"
  if [ -z "$APT_UPDATED" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# A working .venv: made if missing or broken (e.g. left half-made by a venv without ensurepip).
ensure_venv() {
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    return 0
  fi
  command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found: mpscope needs Python 3.11 or newer"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "$PYTHON is $("$PYTHON" -V 2>&1); mpscope needs Python 3.11 or newer"
  say "creating .venv with $("$PYTHON" -V 2>&1)"
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    # Debian ships venv's ensurepip separately, in python3-venv.
    rm -rf "$VENV"
    apt_install python3-venv
    "$PYTHON" -m venv "$VENV"
  fi
}

# mypy_boot: mypy --strict over the trace runtime, app/trace/boot/, which traced programs load as the
# top-level package `_mpscope_trace` (MYPYPATH makes it that for mypy too). Its own invocation: the
# [tool.mypy] run excludes the directory, and that exclude would also drop the files named here (and the
# submodules of `-p _mpscope_trace`), hence --config-file= (no config file: every option is on this line).
mypy_boot() {
  (cd "$ROOT" && MYPYPATH=app/trace/boot "$VENV/bin/mypy" --config-file= --strict --python-version 3.11 \
    --explicit-package-bases app/trace/boot/_mpscope_trace app/trace/boot/sitecustomize.py)
}

# install_project [EXTRAS]: `pip install -e .[EXTRAS]` into .venv, skipped when it was already done
# against the current pyproject.toml (an editable install picks up code changes by itself). A stamp
# line is "EXTRAS HASH"; any extras satisfy a plain install.
install_project() {
  local extras="${1:-}" stamp="$VENV/.mpscope-installed" hash
  hash="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ -f "$stamp" ]; then
    grep -qxF -- "$extras $hash" "$stamp" && return 0
    [ -z "$extras" ] && grep -q -- " $hash\$" "$stamp" && return 0
  fi
  say "installing mpscope${extras} into .venv"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT$extras"
  printf '%s %s\n' "$extras" "$hash" >>"$stamp"
}
