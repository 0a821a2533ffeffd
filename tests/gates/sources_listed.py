#!/usr/bin/env python3
"""Every source file is built: each .cc under the source folders is named in
the CMakeLists.txt nearest to it, each schema/*.sql in core's schema_sql, and
each .h is included by some other file. CMake fails the build on a listed
file that is missing; this test catches the other half, a file no list names
(which would otherwise be left out silently).

    tests/gates/sources_listed.py [SOURCE_DIR]
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tree  # noqa: E402

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE_DIRS = ("core", "daemon", "cli", "tests", "bench", "fuzz")

# Where a new .cc usually goes, by folder (longest prefix wins); the list
# lives in the CMakeLists.txt nearest to the file.
LIST_HINTS = {
    "core/src/common/": "common_src",
    "core/src/crypto/": "crypto_src",
    "core/src/store/": "store_src",
    "core/src/protocol/": "protocol_src",
    "daemon/": "daemon_src",
    "cli/export/": "cli_export_src",
    "cli/": "cli_src",
    "tests/unit/": "a kw_test(NAME unit/FILE.cc LIBS...) line",
    "tests/integration/": "integration_src",
    "tests/tools/": "the tool_test sources",
    "bench/support/": "support_src",
    "bench/": "bench_src",
    "fuzz/": "fuzz_targets",
}


def project_files():
    return tree.project_files(ROOT, SOURCE_DIRS + ("schema",))


def cmake_tokens(cmake_file):
    text = open(os.path.join(ROOT, cmake_file), encoding="utf-8").read()
    text = re.sub(r"#[^\n]*", "", text)  # comments name files too; they do not list them
    return set(re.findall(r"[^\s()\"]+", text))


def nearest_cmake(path):
    d = os.path.dirname(path)
    while d:
        candidate = os.path.join(d, "CMakeLists.txt")
        if os.path.isfile(os.path.join(ROOT, candidate)):
            return candidate
        d = os.path.dirname(d)
    return "CMakeLists.txt"


def hint(path):
    best = ""
    for prefix in LIST_HINTS:
        if path.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return LIST_HINTS.get(best, "the list of the target it belongs to")


def main():
    files = project_files()
    in_source = [f for f in files if f.split("/", 1)[0] in SOURCE_DIRS]
    problems = []
    tokens = {}

    for f in in_source:
        if not f.endswith(".cc"):
            continue
        cmake = nearest_cmake(f)
        if cmake not in tokens:
            tokens[cmake] = cmake_tokens(cmake)
        rel = os.path.relpath(f, os.path.dirname(cmake))
        listed = any(t == rel or t.endswith("/" + rel) for t in tokens[cmake])
        if not listed:
            problems.append(f"{f}: not in any source list of {cmake}; "
                            f"add `{rel}` to {hint(f)} there")

    core_cmake = "core/CMakeLists.txt"
    core_tokens = cmake_tokens(core_cmake)
    for f in files:
        if f.startswith("schema/") and f.endswith(".sql"):
            if not any(t.endswith("/" + os.path.basename(f)) for t in core_tokens):
                problems.append(f"{f}: not in schema_sql of {core_cmake}; add "
                                f"`${{schema_dir}}/{os.path.basename(f)}` there (in order)")

    # A header counts when another file includes it by a path that ends its
    # own path (include dirs differ per target) or a CMakeLists.txt names it.
    includes = set()
    include_re = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)
    for f in in_source:
        if f.endswith((".cc", ".h", ".in")):
            text = open(os.path.join(ROOT, f), encoding="utf-8", errors="replace").read()
            includes.update((inc, f) for inc in include_re.findall(text))
    all_cmake_tokens = set()
    for f in files:
        if f.endswith("CMakeLists.txt"):
            all_cmake_tokens |= cmake_tokens(f)
    for f in in_source:
        if not f.endswith(".h"):
            continue
        used = any((f == inc or f.endswith("/" + inc)) and by != f for inc, by in includes)
        named = any(t.endswith(os.path.basename(f)) for t in all_cmake_tokens)
        if not used and not named:
            problems.append(f"{f}: included by no file and named in no CMakeLists.txt; "
                            "include it where it is used, or delete it")

    for p in problems:
        print(f"sources: error: {p}")
    if problems:
        print(f"sources: {len(problems)} file(s) left out of the build (docs/style-gates.md)")
        return 1
    print(f"sources: ok ({sum(f.endswith('.cc') for f in in_source)} .cc files listed, "
          f"{sum(f.endswith('.h') for f in in_source)} headers included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
