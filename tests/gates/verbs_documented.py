#!/usr/bin/env python3
"""Every verb the CLI lists in `keywarden --help` is in the man page
(docs/man/keywarden.1.md, as a term of its VERBS section) and in each shell
completion script (completions/), so neither can drift from the CLI.

    tests/gates/verbs_documented.py SOURCE_DIR KEYWARDEN_BINARY
"""
import re
import subprocess
import sys
import os


def cli_verbs(binary):
    out = subprocess.run([binary, "--help"], check=True, capture_output=True,
                         text=True, env={"PATH": os.environ.get("PATH", ""),
                                         "NO_COLOR": "1"}).stdout
    verbs, inside = [], False
    for line in out.split("\n"):
        if re.match(r"^[A-Za-z ]*(SUBCOMMANDS|Subcommands|Commands|COMMANDS):\s*$", line):
            inside = True
            continue
        if inside:
            if not line.strip():
                if verbs:
                    break
                continue
            if not line.startswith(" "):
                break
            # "  rm, remove   delete a slot" or "  rm   delete a slot"
            names = re.match(r"^\s+([a-z][a-z0-9-]*(?:\s*,\s*[a-z][a-z0-9-]*)*)", line)
            if names and line[:line.index(names.group(1))].strip() == "":
                # Only lines whose text starts at the name column are verbs
                # (a wrapped description is indented further).
                indent = len(line) - len(line.lstrip())
                if indent <= 4:
                    verbs += [n.strip() for n in names.group(1).split(",")]
    if not verbs:
        raise SystemExit(f"no verbs found in `{binary} --help`:\n{out}")
    return verbs


def man_verbs(path):
    """Terms of the VERBS section's definition list: a line that starts with
    **verb** (aliases after a comma: **list**, **ls** ...) followed by its
    ":   definition" line."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^# VERBS\s*$(.*?)^# ", text, re.M | re.S)
    if not m:
        raise SystemExit(f"{path}: no '# VERBS' section")
    found = set()
    lines = m.group(1).split("\n")
    for line, following in zip(lines, lines[1:]):
        term = re.match(r"^((?:\*\*[a-z][a-z0-9-]*\*\*(?:,\s*)?)+)", line)
        if term and following.startswith(":"):
            found |= set(re.findall(r"\*\*([a-z][a-z0-9-]*)\*\*", term.group(1)))
    return found


def bash_verbs(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r'^_keywarden_verbs="([^"]*)"', text, re.M)
    if not m:
        raise SystemExit(f"{path}: no _keywarden_verbs=\"...\" line")
    return set(m.group(1).split())


def zsh_verbs(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"local -a verbs=\((.*?)\n\s*\)", text, re.S)
    if not m:
        raise SystemExit(f"{path}: no 'local -a verbs=(...)' array")
    return set(re.findall(r"^\s*'([a-z][a-z0-9-]*):", m.group(1), re.M))


def fish_verbs(path):
    text = open(path, encoding="utf-8").read()
    return set(re.findall(r"^complete -c keywarden -n __keywarden_no_verb -a ([a-z][a-z0-9-]*) ",
                          text, re.M))


def main():
    root, binary = sys.argv[1], sys.argv[2]
    verbs = cli_verbs(binary)
    places = {
        "docs/man/keywarden.1.md (VERBS)": man_verbs(os.path.join(root, "docs/man/keywarden.1.md")),
        "completions/keywarden.bash (_keywarden_verbs)":
            bash_verbs(os.path.join(root, "completions/keywarden.bash")),
        "completions/_keywarden (verbs)": zsh_verbs(os.path.join(root, "completions/_keywarden")),
        "completions/keywarden.fish (complete ... -a VERB)":
            fish_verbs(os.path.join(root, "completions/keywarden.fish")),
    }
    missing = 0
    for place, found in places.items():
        for verb in verbs:
            if verb not in found:
                print(f"{place}: the verb '{verb}' of `keywarden --help` is missing")
                missing += 1
    if missing:
        print(f"\n{missing} missing; add each verb to the man page and to every completion script")
        return 1
    print(f"{len(verbs)} verbs ({' '.join(verbs)}) in the man page and the bash, zsh and fish "
          "completions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
