# bash completion for keywarden(1)                         -*- shell-script -*-
#
# Installed as share/bash-completion/completions/keywarden, where the
# bash-completion package loads it on the first <TAB> after `keywarden`.
# Self-contained: it uses none of bash-completion's helpers, so it also
# works when sourced by hand (`source completions/keywarden.bash`).
#
# Slot refs (ENV/NAME) come from `keywarden list` (first column), run with
# the --home and --socket given on the command line being completed, at
# most 2 s; nothing is completed when the daemon does not answer.

# Every verb of `keywarden --help`, aliases included (a gate checks it).
_keywarden_verbs="add list ls show get set rm remove delete status providers events validate check
rotate rollback revoke reminders unlock seal rekey export exec copies sync scan import token help"
_keywarden_providers="openrouter mistral gemini openai anthropic deepseek openai-compatible"
_keywarden_targets="cline continue roo claude-code codex gemini-cli dotenv shell"
_keywarden_endpoints="default general codestral"
_keywarden_global_opts="--home --socket --json --help --version"

# The options of one verb (beyond --help).
_keywarden_verb_opts() {
  case $1 in
    add) echo "--provider --models --endpoint --probe --rotate-every --remind-before --grace
              --json --wait --timeout" ;;
    list | ls) echo "--env --json --owner" ;;
    show) echo "--json --owner" ;;
    get) echo "--owner" ;;
    set) echo "--models --add-model --drop-model --endpoint --probe --rotate-every
              --remind-before --grace --json --owner" ;;
    rm | remove | delete) echo "--yes -y --json --owner" ;;
    status | providers) echo "--json" ;;
    events) echo "--since --json --owner" ;;
    validate) echo "--all --wait --timeout --json --owner" ;;
    check) echo "--provider --models --endpoint --probe --json" ;;
    rotate) echo "--wait --timeout --no-sync --json --owner" ;;
    rollback) echo "--wait --no-sync --json --owner" ;;
    revoke) echo "--version --yes -y --json --owner" ;;
    reminders) echo "--json --owner" ;;
    copies) echo "--json --forget-missing" ;;
    sync) echo "--dry-run --force --json" ;;
    scan) echo "--depth --no-home --json" ;;
    import) echo "--all --env --dir --depth --no-home --models --wait --timeout --json" ;;
    export) echo "--to --model --path --dry-run --via --token --json" ;;
    token) echo "--env --slots --expires --json --yes -y" ;;
  esac
}

# The refs of the caller's slots, from the daemon the command line names.
_keywarden_refs() {
  local cmd=${COMP_WORDS[0]} i args=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --home | --socket)
        # bash splits --home=DIR into three words when = is a word break.
        if [[ ${COMP_WORDS[i + 1]} == = ]]; then
          args+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 2]}")
          ((i += 2))
        else
          args+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}")
          ((i++))
        fi
        ;;
      --home=* | --socket=*) args+=("${COMP_WORDS[i]}") ;;
    esac
  done
  timeout 2 "$cmd" "${args[@]}" list 2>/dev/null </dev/null |
    while read -r ref _; do
      [[ $ref == */* ]] && printf '%s\n' "$ref"
    done
}

_keywarden() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()

  # The verb: the first word that is neither an option nor an option's value.
  local i verb="" verb_at=0 word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      --home | --socket)
        [[ ${COMP_WORDS[i + 1]} == = ]] && ((i++))
        ((i++))
        ;;
      -*) ;;
      *)
        verb=$word
        verb_at=$i
        break
        ;;
    esac
  done

  # Values of options.
  case $prev in
    --home)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      return
      ;;
    --socket | --path)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return
      ;;
    --provider)
      mapfile -t COMPREPLY < <(compgen -W "$_keywarden_providers" -- "$cur")
      return
      ;;
    --to)
      mapfile -t COMPREPLY < <(compgen -W "$_keywarden_targets" -- "$cur")
      return
      ;;
    --endpoint)
      mapfile -t COMPREPLY < <(compgen -W "$_keywarden_endpoints" -- "$cur")
      return
      ;;
    --probe)
      mapfile -t COMPREPLY < <(compgen -W "complete list" -- "$cur")
      return
      ;;
    --via)
      mapfile -t COMPREPLY < <(compgen -W "gateway" -- "$cur")
      return
      ;;
    --owner)
      mapfile -t COMPREPLY < <(compgen -u -- "$cur")
      return
      ;;
    --models | --add-model | --drop-model | --model | --rotate-every | --remind-before | \
      --grace | --timeout | --since | --env | --version | --token | --slots | --expires)
      return # free text
      ;;
  esac

  if [[ -z $verb ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$_keywarden_global_opts" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$_keywarden_verbs" -- "$cur")
    fi
    return
  fi

  # exec ENV/NAME[,ENV/NAME…] -- CMD [ARG…]: after --, a command and files.
  if [[ $verb == exec ]]; then
    for ((i = verb_at + 1; i < COMP_CWORD; i++)); do
      if [[ ${COMP_WORDS[i]} == -- ]]; then
        if ((i + 1 == COMP_CWORD)); then
          mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
        else
          mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        return
      fi
    done
    # A comma-separated list of refs: complete the part after the last comma.
    local head="" tail=$cur
    if [[ $cur == *,* ]]; then
      head=${cur%,*},
      tail=${cur##*,}
    fi
    mapfile -t COMPREPLY < <(compgen -P "$head" -W "$(_keywarden_refs)" -- "$tail")
    return
  fi

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "--help $(_keywarden_verb_opts "$verb")" -- "$cur")
    return
  fi

  case $verb in
    help)
      mapfile -t COMPREPLY < <(compgen -W "$_keywarden_verbs" -- "$cur")
      ;;
    token)
      # token add|list|ls|rm: the subcommand right after the verb; names after it are free text.
      ((COMP_CWORD == verb_at + 1)) && mapfile -t COMPREPLY < <(compgen -W "add list ls rm" -- "$cur")
      ;;
    show | get | set | rm | remove | delete | events | validate | rotate | rollback | revoke | export | copies | sync)
      mapfile -t COMPREPLY < <(compgen -W "$(_keywarden_refs)" -- "$cur")
      ;;
  esac
}

complete -F _keywarden keywarden
