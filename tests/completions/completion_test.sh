#!/usr/bin/env bash
# The shell completions of completions/, checked in the real shells against
# a real daemon (slot refs come from `keywarden list`):
#
#   tests/completions/completion_test.sh SOURCE_DIR KEYWARDEN KEYWARDEND
#
# bash: completion_test sources keywarden.bash in `bash --norc` and checks
# COMPREPLY; fish: `complete -C`; zsh: `zsh -n` (its completion system
# needs a terminal). A shell that is not installed is reported and skipped
# (scripts/setup installs zsh and fish).
set -uo pipefail
src=${1:?usage: completion_test.sh SOURCE_DIR KEYWARDEN KEYWARDEND}
kw=${2:?} kwd=${3:?}
fails=0 ran=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

home=$(mktemp -d "${TMPDIR:-/tmp}/kw-completion.XXXXXX")
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$home"
}
trap cleanup EXIT
# Every provider at a port nobody listens on: the slots stay unverified and
# no request leaves the machine.
cat >"$home/config.json" <<'JSON'
{"providers": {"openrouter": {"endpoints": {"default": "http://127.0.0.1:9/openrouter/api/v1"}},
               "mistral": {"endpoints": {"general": "http://127.0.0.1:9/mistral/v1",
                                         "codestral": "http://127.0.0.1:9/codestral/v1"}}}}
JSON
chmod 700 "$home"
"$kwd" --home "$home" >"$home/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do
  "$kw" --home "$home" status >/dev/null 2>&1 && break
  sleep 0.1
done
printf 'sk-or-v1-%064d\n' 1 | "$kw" --home "$home" add dev/openrouter --provider openrouter \
  --models deepseek/deepseek-chat >/dev/null || fail "add dev/openrouter"
printf '%032d\n' 2 | "$kw" --home "$home" add prod/codestral --provider mistral \
  --endpoint codestral --models codestral-2508 >/dev/null || fail "add prod/codestral"

# The binary under test is the `keywarden` the scripts run.
bin=$(mktemp -d "$home/bin.XXXXXX")
ln -s "$kw" "$bin/keywarden"
export PATH="$bin:$PATH"
unset KEYWARDEN_HOME KEYWARDEN_SOCKET

# --- bash -------------------------------------------------------------------
# Prints the completions of the words given (the last one is completed), one
# line, sorted.
bash_complete() {
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _keywarden keywarden "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
    _ "$src/completions/keywarden.bash" "$@"
}
expect_bash() {  # EXPECTED WORDS...
  local expected=$1
  shift
  local got
  got=$(bash_complete "$@")
  got=${got% }
  [ "$got" = "$expected" ] || fail "bash: '$*<TAB>' gave '$got', expected '$expected'"
}
ran=$((ran + 1))
expect_bash "rollback rotate" keywarden ro
expect_bash "reminders remove" keywarden rem
expect_bash "exec export" keywarden ex
expect_bash "--help --home --json --socket --version" keywarden --
expect_bash "claude-code cline codex continue" keywarden export dev/openrouter --to c
expect_bash "openai openai-compatible openrouter" keywarden add dev/x --provider open
expect_bash "--help --json --owner --yes" keywarden rm --
expect_bash "complete list" keywarden check --probe ""
expect_bash "dev/openrouter prod/codestral" keywarden --home "$home" show ""
expect_bash "dev/openrouter" keywarden --home "$home" rotate d
expect_bash "prod/codestral" keywarden --home="$home" export p
# With bash-completion loaded, = is a word break: --home = DIR.
expect_bash "prod/codestral" keywarden --home = "$home" export p
expect_bash "dev/openrouter,prod/codestral" keywarden --home "$home" exec dev/openrouter,p
expect_bash "exec export" keywarden help ex
# The daemon is named by the command line; none answers here.
expect_bash "" keywarden --socket "$home/nobody.sock" show ""
# exec after --: a command.
got=$(bash_complete keywarden exec dev/openrouter -- bas)
[[ " $got " == *" bash "* ]] || fail "bash: 'exec dev/openrouter -- bas<TAB>' gave '$got'"

# --- fish -------------------------------------------------------------------
if command -v fish >/dev/null 2>&1; then
  ran=$((ran + 1))
  fish --no-config -n "$src/completions/keywarden.fish" || fail "fish -n completions/keywarden.fish"
  expect_fish() {  # EXPECTED LINE
    local got
    got=$(fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
      "$src/completions/keywarden.fish" "$2" | cut -f1 | sort | tr '\n' ' ')
    got=${got% }
    [ "$got" = "$1" ] || fail "fish: '$2<TAB>' gave '$got', expected '$1'"
  }
  expect_fish "rollback rotate" "keywarden ro"
  expect_fish "claude-code cline codex continue" "keywarden export dev/openrouter --to c"
  expect_fish "--help --json --owner --yes" "keywarden rm --"
  expect_fish "dev/openrouter prod/codestral" "keywarden --home $home show "
  expect_fish "dev/openrouter,prod/codestral" "keywarden --home $home exec dev/openrouter,p"
else
  echo "SKIP: fish is not installed (scripts/setup installs it)"
fi

# --- zsh --------------------------------------------------------------------
if command -v zsh >/dev/null 2>&1; then
  ran=$((ran + 1))
  zsh -n "$src/completions/_keywarden" || fail "zsh -n completions/_keywarden"
  head -1 "$src/completions/_keywarden" | grep -qx '#compdef keywarden' ||
    fail "completions/_keywarden: the first line must be '#compdef keywarden'"
else
  echo "SKIP: zsh is not installed (scripts/setup installs it)"
fi

if [ "$fails" -gt 0 ]; then
  echo "$fails failure(s)"
  exit 1
fi
echo "completions: bash, fish and zsh checks passed ($ran shells)"
