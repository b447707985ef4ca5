# Sourced by scripts/run and scripts/test: make sure ./.venv exists, on Python 3.11 or newer
# (PYTHON if set; else python3.11 when there is one; else the first of python3, python3.13,
# python3.12 that is at least 3.11), and define install_locked.
_python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
if [ ! -x .venv/bin/python ]; then
  py=""
  if [ -n "${PYTHON:-}" ]; then
    if ! _python_ok "$PYTHON"; then
      echo "error: PYTHON=$PYTHON is not Python 3.11 or newer" >&2
      exit 1
    fi
    py=$PYTHON
  else
    for candidate in python3.11 python3 python3.13 python3.12; do
      if command -v "$candidate" >/dev/null 2>&1 && _python_ok "$candidate"; then
        py=$candidate
        break
      fi
    done
  fi
  if [ -z "$py" ]; then
    echo "error: Python 3.11 or newer is needed (set PYTHON=/path/to/python3)" >&2
    exit 1
  fi
  "$py" -m venv .venv
  .venv/bin/python -m pip install -qq --upgrade pip
fi

# install_locked LOCKFILE: exactly the pinned, hash-checked dependencies of LOCKFILE, then the
# project itself (editable, without dependencies). Skipped while neither LOCKFILE nor
# pyproject.toml has changed since the last install into this .venv (delete .venv/.installed-*
# to force it).
install_locked() {
  local lock=$1 stamp_file=".venv/.installed-$1" stamp
  stamp=$(cat "$lock" pyproject.toml | cksum)
  if [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
    rm -f "$stamp_file"
    .venv/bin/python -m pip install -qq -r "$lock"
    .venv/bin/python -m pip install -qq --no-deps -e .
    echo "$stamp" > "$stamp_file"
  fi
}
