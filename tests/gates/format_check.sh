#!/usr/bin/env bash
# Every tracked .h and .cc is formatted with the checked-in .clang-format
# (clang-format 19). Lists the files that differ and the command that fixes
# them; exits 1 if there are any.
#
#   tests/gates/format_check.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"
clang_format=${KEYWARDEN_CLANG_FORMAT:-clang-format-19}
command -v "$clang_format" >/dev/null ||
  { echo "format: error: $clang_format not found; scripts/setup installs it" >&2; exit 1; }
# Tracked files and new ones not yet added; outside a git checkout, every
# .h and .cc of the source folders.
list_sources() {
  git ls-files --cached --others --exclude-standard -- '*.h' '*.cc' 2>/dev/null ||
    find core daemon cli tests bench fuzz -name '*.h' -o -name '*.cc'
}
mapfile -t files < <(list_sources | while read -r f; do [ -f "$f" ] && echo "$f"; done)
# One run over every file (a process per file is slow on a busy machine);
# it names each file that differs in its "file:line:col: error:" lines.
mapfile -t differ < <("$clang_format" --dry-run --Werror "${files[@]}" 2>&1 |
                      sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u)
if ((${#differ[@]})); then
  printf 'format: error: %s is not formatted\n' "${differ[@]}"
  echo "format: fix with: $clang_format -i ${differ[*]}"
  exit 1
fi
echo "format: ok (${#files[@]} files)"
