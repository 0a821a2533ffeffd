# fish completion for keywarden(1). Installed as
# share/fish/vendor_completions.d/keywarden.fish.
#
# Slot refs (ENV/NAME) come from `keywarden list` (first column), run with
# the --home and --socket given on the command line being completed, at
# most 2 s; nothing is completed when the daemon does not answer.

# Every verb of `keywarden --help`, aliases included (a gate checks it).
set -l keywarden_verbs add list ls show get set rm remove delete status providers events validate check \
    rotate rollback revoke reminders unlock seal rekey export exec copies sync scan import token help

# The verb of the command line, or nothing: the first word after the
# command that is neither an option nor the value of --home or --socket.
function __keywarden_verb
    set -l words (commandline -opc)
    set -e words[1]
    while set -q words[1]
        switch $words[1]
            case --home --socket
                set -e words[1]
            case '-*'
            case '*'
                echo $words[1]
                return 0
        end
        set -e words[1]
    end
    return 1
end

function __keywarden_no_verb
    not __keywarden_verb >/dev/null
end

function __keywarden_verb_is
    contains -- (__keywarden_verb) $argv
end

function __keywarden_refs
    set -l words (commandline -opc)
    set -l cmd $words[1]
    set -l args
    set -l i 2
    while test $i -le (count $words)
        switch $words[$i]
            case --home --socket
                set -a args $words[$i]
                set i (math $i + 1)
                set -q words[$i]; and set -a args $words[$i]
            case '--home=*' '--socket=*'
                set -a args $words[$i]
        end
        set i (math $i + 1)
    end
    timeout 2 $cmd $args list 2>/dev/null </dev/null | while read -l ref rest
        string match -q -- '*/*' $ref; and echo $ref
    end
end

# exec's first argument: refs separated by commas, the last one completed.
function __keywarden_ref_list
    set -l token (commandline -ct)
    set -l head (string replace -r '[^,]*$' '' -- $token)
    for ref in (__keywarden_refs)
        echo $head$ref
    end
end

complete -c keywarden -f

# Global options.
complete -c keywarden -n __keywarden_no_verb -l home -r -a '(__fish_complete_directories)' -d "the daemon's home directory"
complete -c keywarden -n __keywarden_no_verb -l socket -r -F -d "the daemon's socket"
complete -c keywarden -n __keywarden_no_verb -l json -d 'print JSON'
complete -c keywarden -n __keywarden_no_verb -l version -d 'print the version and exit'
complete -c keywarden -s h -l help -d 'print help and exit'

# Verbs.
complete -c keywarden -n __keywarden_no_verb -a add -d 'store a new key (read from stdin or a hidden prompt)'
complete -c keywarden -n __keywarden_no_verb -a list -d 'list slots and their state'
complete -c keywarden -n __keywarden_no_verb -a ls -d 'list slots and their state'
complete -c keywarden -n __keywarden_no_verb -a show -d 'show a slot: versions, checks and diagnoses'
complete -c keywarden -n __keywarden_no_verb -a get -d 'print the current verified secret of a slot'
complete -c keywarden -n __keywarden_no_verb -a set -d 'change a slot: models, endpoint, probe, rotation policy'
complete -c keywarden -n __keywarden_no_verb -a rm -d 'delete a slot and every version of its key'
complete -c keywarden -n __keywarden_no_verb -a remove -d 'delete a slot and every version of its key'
complete -c keywarden -n __keywarden_no_verb -a delete -d 'delete a slot and every version of its key'
complete -c keywarden -n __keywarden_no_verb -a status -d "the daemon's state, slot counts, next check"
complete -c keywarden -n __keywarden_no_verb -a providers -d 'the providers, endpoints and env vars keywarden knows'
complete -c keywarden -n __keywarden_no_verb -a events -d 'the audit trail: who did what to which key'
complete -c keywarden -n __keywarden_no_verb -a validate -d 'probe keys against their models now'
complete -c keywarden -n __keywarden_no_verb -a check -d 'probe a key from stdin without storing it'
complete -c keywarden -n __keywarden_no_verb -a rotate -d "replace a slot's key with zero downtime"
complete -c keywarden -n __keywarden_no_verb -a rollback -d 'serve the previous key again (only within its grace)'
complete -c keywarden -n __keywarden_no_verb -a revoke -d 'stop serving a version at once and destroy it'
complete -c keywarden -n __keywarden_no_verb -a reminders -d 'keys due for rotation, and current keys that fail'
complete -c keywarden -n __keywarden_no_verb -a unlock -d 'unseal a passphrase-mode daemon'
complete -c keywarden -n __keywarden_no_verb -a seal -d 'make a passphrase-mode daemon forget its keys'
complete -c keywarden -n __keywarden_no_verb -a rekey -d 'move to a new master key'
complete -c keywarden -n __keywarden_no_verb -a export -d "write a verified key into a coding tool's config"
complete -c keywarden -n __keywarden_no_verb -a exec -d "run a command with the slots' keys in its environment"
complete -c keywarden -n __keywarden_no_verb -a copies -d 'what each file keywarden exported a key into holds now'
complete -c keywarden -n __keywarden_no_verb -a sync -d 'rewrite stale copies of exported keys with the current key'
complete -c keywarden -n __keywarden_no_verb -a scan -d "find provider keys in tool configs and .env files"
complete -c keywarden -n __keywarden_no_verb -a import -d "add keys found by scan as slots, and record their files as copies"
complete -c keywarden -n __keywarden_no_verb -a token -d "manage the gateway's local tokens"
complete -c keywarden -n __keywarden_no_verb -a help -d 'help on keywarden or one of its verbs'

# Arguments of the verbs.
complete -c keywarden -n '__keywarden_verb_is show get set rm remove delete events validate rotate rollback revoke export copies sync' -a '(__keywarden_refs)'
complete -c keywarden -n '__keywarden_verb_is exec; and not __fish_seen_subcommand_from --' -a '(__keywarden_ref_list)'
complete -c keywarden -n '__keywarden_verb_is help' -a "$keywarden_verbs"

# Options of the verbs.
set -l providers 'openrouter mistral gemini openai anthropic deepseek openai-compatible'
set -l endpoints 'default general codestral'
complete -c keywarden -n '__keywarden_verb_is add check' -l provider -x -a $providers -d 'the provider'
complete -c keywarden -n '__keywarden_verb_is add check set' -l models -x -d 'the models (comma-separated)'
complete -c keywarden -n '__keywarden_verb_is add check set' -l endpoint -x -a $endpoints -d 'a named endpoint or a base URL'
complete -c keywarden -n '__keywarden_verb_is add check set' -l probe -x -a 'complete list' -d 'how to probe'
complete -c keywarden -n '__keywarden_verb_is add set' -l rotate-every -x -d 'rotation period, e.g. 90d'
complete -c keywarden -n '__keywarden_verb_is add set' -l remind-before -x -d 'remind this long before rotation is due'
complete -c keywarden -n '__keywarden_verb_is add set' -l grace -x -d 'keep a replaced key this long for rollback'
complete -c keywarden -n '__keywarden_verb_is set' -l add-model -x -d 'add one model'
complete -c keywarden -n '__keywarden_verb_is set' -l drop-model -x -d 'drop one model'
complete -c keywarden -n '__keywarden_verb_is add rotate validate' -l timeout -x -d 'give up waiting after this long'
complete -c keywarden -n '__keywarden_verb_is add rotate rollback validate' -l wait -d 'wait for the outcome'
complete -c keywarden -n '__keywarden_verb_is add set list ls show status providers events validate check rotate rollback revoke rm remove delete reminders scan import' -l json -d 'print JSON'
complete -c keywarden -n '__keywarden_verb_is list ls show get set rm remove delete events validate rotate rollback revoke reminders' -l owner -x -a '(__fish_complete_users)' -d "act on this user's slots (root and keywarden-admin)"
complete -c keywarden -n '__keywarden_verb_is list ls' -l env -x -d 'only this environment'
complete -c keywarden -n '__keywarden_verb_is rm remove delete revoke' -s y -l yes -d 'do not ask for confirmation'
complete -c keywarden -n '__keywarden_verb_is revoke' -l version -x -d 'the version (default: the current one)'
complete -c keywarden -n '__keywarden_verb_is events' -l since -x -d 'only events newer than this, e.g. 24h'
complete -c keywarden -n '__keywarden_verb_is validate' -l all -d 'every slot you can see'
complete -c keywarden -n '__keywarden_verb_is export' -l to -x -a 'cline continue roo claude-code codex gemini-cli dotenv shell' -d 'the target'
complete -c keywarden -n '__keywarden_verb_is export' -l model -x -d 'the model to select'
complete -c keywarden -n '__keywarden_verb_is export' -l path -r -F -d "the file to write instead of the tool's default"
complete -c keywarden -n '__keywarden_verb_is export' -l dry-run -d 'print the change, secret masked, and write nothing'
complete -c keywarden -n '__keywarden_verb_is copies sync' -l json -d 'print JSON'
complete -c keywarden -n '__keywarden_verb_is rotate rollback' -l no-sync -d 'with --wait, leave the copies of exported keys as they are'
complete -c keywarden -n '__keywarden_verb_is copies' -l forget-missing -d 'forget the copies whose file no longer exists'
complete -c keywarden -n '__keywarden_verb_is sync' -l dry-run -d 'print each change, keys masked, and write nothing'
complete -c keywarden -n '__keywarden_verb_is sync' -l force -d 'also overwrite copies edited by hand'
complete -c keywarden -n '__keywarden_verb_is export' -l via -x -a gateway -d 'write the gateway URL and a new token instead of the key'
complete -c keywarden -n '__keywarden_verb_is export' -l token -x -d "the new token's name (default TARGET-ENV)"
complete -c keywarden -n '__keywarden_verb_is token; and not __fish_seen_subcommand_from add list ls rm' -x -a 'add list rm'
complete -c keywarden -n '__keywarden_verb_is token' -l env -x -d 'the env whose slots the token reaches'
complete -c keywarden -n '__keywarden_verb_is token' -l slots -x -a '(__keywarden_ref_list)' -d 'only these slots of that env'
complete -c keywarden -n '__keywarden_verb_is token' -l expires -x -d 'expire after this long, e.g. 30d'
complete -c keywarden -n '__keywarden_verb_is token' -s y -l yes -d 'do not ask for confirmation'
complete -c keywarden -n '__keywarden_verb_is token' -l json -d 'print JSON'
complete -c keywarden -n '__keywarden_verb_is exec; and __fish_seen_subcommand_from --' -F -a '(__fish_complete_command)'
complete -c keywarden -n '__keywarden_verb_is scan' -F -d 'a directory whose .env* files to search'
complete -c keywarden -n '__keywarden_verb_is scan import' -l depth -x -d 'directory levels searched below each directory'
complete -c keywarden -n '__keywarden_verb_is scan import' -l no-home -d 'skip the known tool files of your home directory'
complete -c keywarden -n '__keywarden_verb_is import' -l all -d 'import every unknown key the scan finds'
complete -c keywarden -n '__keywarden_verb_is import' -l env -x -d 'the environment of the new slots'
complete -c keywarden -n '__keywarden_verb_is import' -l dir -r -a '(__fish_complete_directories)' -d 'a directory scanned for .env* files'
complete -c keywarden -n '__keywarden_verb_is import' -l models -x -d 'models for a key whose tool config names none'
complete -c keywarden -n '__keywarden_verb_is import' -l wait -d 'wait until each new key is verified or fails'
complete -c keywarden -n '__keywarden_verb_is import' -l timeout -x -d 'give up waiting after this long'
