#!/usr/bin/env python3
"""The docs stand on their own: README.md and every docs/**/*.md name only
files that are in the repository. Two kinds of reference are checked:

- a relative link, [text](target) or [text]: target, outside code spans
  and fenced blocks, resolved against the folder of the page (as a
  Markdown viewer does); an #anchor is dropped;
- a mention of a *.md file anywhere in the text, code included, resolved
  against the folder of the page or the top of the repository (pages say
  `docs/protocol.md` from anywhere).

URLs and absolute paths (an installed file such as
/usr/share/doc/keywarden/export.md) are not the repository's, so they are
not checked.

    tests/gates/doc_links.py [SOURCE_DIR]
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tree  # noqa: E402

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))

# [text](target "title") and reference definitions [label]: target
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.M)
# A word that names a .md file: letters, digits and . _ - / ~ $ before it.
MENTION = re.compile(r"(?<![\w./~$-])([\w.~$-][\w./~$-]*\.md)\b")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.I)


def pages(files):
    return [f for f in files
            if f == "README.md" or (f.startswith("docs/") and f.endswith(".md"))]


def exists(path, known, known_dirs):
    path = os.path.normpath(path)
    return path in known or path in known_dirs


def main():
    tops = [d for d in os.listdir(ROOT)
            if os.path.isdir(os.path.join(ROOT, d)) and not d.startswith(("build", "."))]
    files = tree.project_files(ROOT, tops)
    known = set(files) | {f for f in os.listdir(ROOT) if os.path.isfile(os.path.join(ROOT, f))}
    known_dirs = set()
    for f in files:
        d = os.path.dirname(f)
        while d:
            known_dirs.add(d)
            d = os.path.dirname(d)
    known_dirs.add(".")
    problems = []
    for page in pages(files):
        here = os.path.dirname(page)
        with open(os.path.join(ROOT, page), encoding="utf-8") as f:
            text = f.read()
        fenced = False
        for lineno, line in enumerate(text.split("\n"), 1):
            if FENCE.match(line):
                fenced = not fenced
            targets = set()
            if not fenced:
                # Markdown makes no link inside a code span or a fenced block.
                prose = CODE_SPAN.sub("", line)
                for m in LINK.finditer(prose):
                    targets.add(m.group(1))
                for m in REF_DEF.finditer(prose):
                    targets.add(m.group(1))
            for target in sorted(targets):
                if EXTERNAL.match(target) or target.startswith("/"):
                    continue
                path = target.split("#", 1)[0]
                if path and not exists(os.path.join(here, path), known, known_dirs):
                    problems.append(f"{page}:{lineno}: link to {target}: no such file "
                                    f"{os.path.normpath(os.path.join(here, path))} in the repository")
            for m in MENTION.finditer(line):
                name = m.group(1)
                if m.start() >= 3 and line[max(0, m.start() - 3):m.start()] == "://":
                    continue  # the path of a URL
                if "$" in name or "~" in name:
                    continue  # a path on the user's machine
                if exists(os.path.join(here, name), known, known_dirs) or \
                        exists(name, known, known_dirs):
                    continue
                problems.append(f"{page}:{lineno}: mentions {name}, which is not in the repository "
                                "(say what is meant, or link a file that is)")
    for p in problems:
        print(p)
    if problems:
        print(f"\n{len(problems)} reference(s) to files outside the repository; "
              "the docs must stand on their own")
        return 1
    print(f"{len(pages(files))} pages: every linked or mentioned file is in the repository")
    return 0


if __name__ == "__main__":
    sys.exit(main())
