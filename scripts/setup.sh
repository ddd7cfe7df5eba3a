#!/usr/bin/env bash
# Sets everything up on a fresh Debian machine: system packages (apt-get, only what is missing),
# the virtualenv and the pinned Python packages. Safe to run again: it does only what is missing.
#   scripts/setup.sh          what `make run` needs
#   scripts/setup.sh --test   also PostgreSQL, chromium, poppler, Redis and HAProxy for `make test` and `make cluster`
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
# Debian's python3.11 (bookworm), built with profile-guided and link-time optimisation, runs our PDF rendering
# (pure-Python layout in WeasyPrint) about a fifth faster than a plain source build such as pyenv's. Where the
# distribution has no python3.11 package, any Python 3.11 on the PATH is used instead.
if apt-cache show python3.11-venv >/dev/null 2>&1; then
  packages+=(python3.11 python3.11-venv)
fi
if [ "${1:-}" = "--test" ]; then
  packages+=(postgresql chromium poppler-utils redis-server haproxy)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in /usr/bin/python3.11 python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
if [ -z "$python" ]; then echo "setup: Python 3.11 is required" >&2; exit 1; fi

# A .venv made with another interpreter (e.g. before this script preferred Debian's) is made again.
interpreter=$("$python" -c 'import os, sys; print(os.path.realpath(sys.executable))')
if [ -x .venv/bin/python ] && [ "$(cat .venv/.interpreter 2>/dev/null)" != "$interpreter" ]; then
  echo "setup: .venv was made with another Python; making it again with $interpreter"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $python"
  "$python" -m venv .venv
  echo "$interpreter" > .venv/.interpreter
fi
stamp=.venv/.requirements-stamp
wanted=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing Python packages (pinned)"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 \
    | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import flask, weasyprint, sqlalchemy, psycopg" # fail here, not later, if one is missing
  echo "$wanted" > "$stamp"
fi
# The translation catalogues' compiled form (.mo), which git does not hold.
.venv/bin/python scripts/catalogues.py compile
