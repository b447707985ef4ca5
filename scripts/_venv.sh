# Sourced by scripts/run and scripts/test: make sure ./.venv exists (Python 3.11).
if [ ! -x .venv/bin/python ]; then
  py=""
  for candidate in "${PYTHON:-}" python3.11 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      py=$candidate
      break
    fi
  done
  if [ -z "$py" ]; then
    echo "error: Python 3.11 is needed (set PYTHON=/path/to/python3.11)" >&2
    exit 1
  fi
  "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
