#!/usr/bin/env bash
# Installs the pinned real coding tools that tests/tools/tool_test.cc runs
# against exported configs, into DIR (the build tree's npm-tools), once:
# later runs find the stamp and return at once. Concurrent runs wait on a
# lock. Exit 0 when the tools are there, 77 when node or npm is missing
# (the checks are then skipped), 1 when installing failed.
set -euo pipefail
dir=${1:?usage: install_tools.sh DIR}

# Versions picked with `npm view PKG version` (2026-11). Claude Code is held
# at 2.1.197: later releases need Node 22, Debian 12 ships Node 18.
packages=(
  cline@3.0.65
  @continuedev/cli@1.5.47
  @continuedev/config-yaml@1.42.0
  @roo-code/types@1.115.0
  @anthropic-ai/claude-code@2.1.197
)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install_tools: node or npm is not installed (scripts/setup installs them)" >&2
  exit 77
fi
mkdir -p "$dir"
stamp="$dir/.installed-$(printf '%s\n' "${packages[@]}" | sha256sum | cut -c1-16)"
exec 9>"$dir/.lock"
flock 9
[ -e "$stamp" ] && exit 0
echo "install_tools: installing ${packages[*]} into $dir" >&2
# --ignore-scripts: the postinstall steps only place the platform binaries,
# which the optional dependencies already bring; the checks run those directly.
if ! timeout 900 npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
    "${packages[@]}" >&2; then
  echo "install_tools: npm install failed" >&2
  exit 1
fi
touch "$stamp"
