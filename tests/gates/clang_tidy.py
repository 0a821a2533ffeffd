#!/usr/bin/env python3
"""clang-tidy 19 with the checked-in .clang-tidy over the project's own
translation units (build/compile_commands.json), as a gate: any finding fails.

A clean result is cached per translation unit, keyed by a hash of its
source and every header it includes (the list Ninja recorded when it built
the object; failing that, the preprocessed source), its flags, the
.clang-tidy and the clang-tidy version: a re-run checks only what changed.
The cache is shared by build trees and clones on the machine (it holds only
hashes): $KEYWARDEN_TIDY_CACHE, else $XDG_CACHE_HOME/keywarden/clang-tidy,
else ~/.cache/keywarden/clang-tidy. Entries unused for 30 days are removed.

    tests/gates/clang_tidy.py SOURCE_DIR BUILD_DIR [FILE...]
"""
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import time

CLANG_TIDY = os.environ.get("KEYWARDEN_CLANG_TIDY", "clang-tidy-19")
# The product's code. Tests, benchmarks and fuzz targets are left out:
# gtest's macros trip the bugprone checks on every assertion, and that code
# is checked by running it (the sanitizer pass runs all of it).
OWN_DIRS = ("core/", "daemon/", "cli/")


def cache_dir():
    if os.environ.get("KEYWARDEN_TIDY_CACHE"):
        return os.environ["KEYWARDEN_TIDY_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "keywarden", "clang-tidy")


def arguments(entry):
    if "arguments" in entry:
        return list(entry["arguments"])
    return shlex.split(entry["command"])


def preprocess(entry):
    """The translation unit as the compiler sees it, with every header."""
    args = arguments(entry)
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif a != "-c":
            out.append(a)
    result = subprocess.run(out + ["-E"], cwd=entry["directory"], capture_output=True)
    if result.returncode != 0:
        return None  # let clang-tidy report it
    return result.stdout


def object_of(entry):
    args = arguments(entry)
    return args[args.index("-o") + 1] if "-o" in args else None


def ninja_deps(build):
    """object -> the files it was compiled from, as Ninja recorded them."""
    try:
        text = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    deps, current = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace():
            current = line.split(":", 1)[0] if "(VALID)" in line else None
            if current:
                deps[current] = []
        elif current and line.strip():
            deps[current].append(os.path.normpath(os.path.join(build, line.strip())))
    return deps


FILE_HASHES = {}


def file_hash(path):
    if path not in FILE_HASHES:
        try:
            FILE_HASHES[path] = hashlib.sha256(open(path, "rb").read()).digest()
        except OSError:
            FILE_HASHES[path] = b"missing"
    return FILE_HASHES[path]


def cache_key(entry, root, build, salt, deps):
    h = hashlib.sha256(salt)
    h.update(" ".join(arguments(entry)).replace(root, "<src>").replace(build, "<build>").encode())
    files = deps.get(object_of(entry))
    if files:
        for f in files:
            h.update(f.replace(root, "<src>").replace(build, "<build>").encode())
            h.update(file_hash(f))
        return h.hexdigest()
    text = preprocess(entry)
    if text is None:
        return None
    h.update(text.replace(root.encode(), b"<src>").replace(build.encode(), b"<build>"))
    return h.hexdigest()


def check(entry, root, build, salt, cache, deps):
    source = os.path.relpath(entry["file"], root)
    key = cache_key(entry, root, build, salt, deps)
    if key:
        stamp = os.path.join(cache, key[:2], key)
        if os.path.exists(stamp):
            os.utime(stamp)
            return source, True, "", True
    result = subprocess.run(
        [CLANG_TIDY, "-p", build, "--quiet", f"--config-file={os.path.join(root, '.clang-tidy')}",
         entry["file"]], capture_output=True, text=True)
    ok = result.returncode == 0
    if ok and key:
        os.makedirs(os.path.dirname(stamp), exist_ok=True)
        open(stamp, "w").close()
    report = "\n".join(l for l in (result.stdout + result.stderr).splitlines()
                       if l and not re.fullmatch(r"\d+ warnings?( and \d+ errors?)? generated\.", l)
                       and not l.startswith("Suppressed ")
                       and "Use -header-filter" not in l)
    return source, ok, report, False


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    root = os.path.realpath(sys.argv[1])
    build = os.path.realpath(sys.argv[2])
    only = {os.path.realpath(os.path.join(root, f)) for f in sys.argv[3:]}
    try:
        version = subprocess.run([CLANG_TIDY, "--version"], capture_output=True, text=True,
                                 check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        print(f"tidy: error: {CLANG_TIDY} not found; scripts/setup installs it")
        return 1
    db_path = os.path.join(build, "compile_commands.json")
    if not os.path.exists(db_path):
        print(f"tidy: error: no {db_path}; configure the build first (scripts/setup)")
        return 1
    entries = []
    for e in json.load(open(db_path)):
        path = os.path.realpath(os.path.join(e["directory"], e["file"]))
        rel = os.path.relpath(path, root)
        # Own sources only: not the generated ones in the build tree.
        if path.startswith(build + os.sep) or not rel.startswith(OWN_DIRS):
            continue
        if only and path not in only:
            continue
        e["file"] = path
        entries.append(e)
    salt = (version + open(os.path.join(root, ".clang-tidy")).read()).encode()
    cache = cache_dir()
    deps = ninja_deps(build)
    os.makedirs(cache, exist_ok=True)

    start = time.monotonic()
    failed, cached = [], 0
    jobs = int(os.environ.get("KEYWARDEN_TIDY_JOBS", os.cpu_count() or 2))
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(check, e, root, build, salt, cache, deps) for e in entries]
        for f in concurrent.futures.as_completed(futures):
            source, ok, report, hit = f.result()
            cached += hit
            if not ok:
                failed.append(source)
                print(report, flush=True)

    # Forget results unused for 30 days.
    horizon = time.time() - 30 * 86400
    for d, _, names in os.walk(cache):
        for n in names:
            p = os.path.join(d, n)
            if os.path.getmtime(p) < horizon:
                os.remove(p)

    seconds = time.monotonic() - start
    if failed:
        print(f"tidy: error: findings in {len(failed)} of {len(entries)} files: "
              f"{' '.join(sorted(failed))}")
        print("tidy: fix them, or, where a check is wrong for that line, add "
              "`// NOLINT(check-name): why` (docs/style-gates.md)")
        return 1
    print(f"tidy: ok ({len(entries)} files, {cached} unchanged since a clean run, "
          f"{seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
