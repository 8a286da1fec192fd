#!/usr/bin/env bash
# Print the path of a Python 3.12 or newer: python3.12 / python3.13 / python3 on PATH, else
# (machines managed by pyenv, where python3.12 answers "command not found" until a version is
# selected) the oldest installed pyenv 3.12+ (the one CI tests). Exit 1 with a sentence if none.
set -uo pipefail
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
for cand in python3.12 python3.13 python3.14 python3; do
  if command -v "$cand" >/dev/null 2>&1 && ok "$cand"; then command -v "$cand"; exit 0; fi
done
root=""
if command -v pyenv >/dev/null 2>&1; then root=$(pyenv root 2>/dev/null); fi
root=${root:-${PYENV_ROOT:-$HOME/.pyenv}}
# Bash's glob order puts 3.12.x before 3.13.x; no external command is needed.
for py in "$root"/versions/3.1[2-9]*/bin/python3; do
  if [ -x "$py" ] && ok "$py"; then echo "$py"; exit 0; fi
done
echo "find-python: no Python 3.12 or newer found (on PATH or under $root/versions)" >&2
exit 1
