#!/usr/bin/env python3
"""Each third-party library has one home (docs/style-gates.md): only the
files and folders below include its headers, so its types, exceptions and
quirks stop there. Fails naming the file, line and the library's home.

    tests/gates/third_party_homes.py [SOURCE_DIR]
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tree  # noqa: E402

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE_DIRS = ("core", "daemon", "cli", "tests", "bench", "fuzz")

# library: (include prefixes, homes). A home ending in "/" is a folder,
# otherwise one file. Keep this table and docs/style-gates.md in step.
HOMES = {
    "libsodium": (("sodium.h", "sodium/"), ("core/src/crypto/",)),
    "SQLiteCpp": (("SQLiteCpp/",), (
        "core/src/store/",
        # reads the connection's pragmas back from a store it builds itself
        "tests/unit/store_test.cc",
    )),
    "SQLite": (("sqlite3.h",), ("core/src/store/",)),
    "libcurl": (("curl/",), ("daemon/http/",)),
    # Boost 1.74's Asio needs <utility> first under C++23: one wrapper header
    "Asio (Boost)": (("boost/asio", "asio.hpp", "asio/"), (
        "daemon/net/asio.h",
        "bench/gateway/beast.h",  # the gateway benchmark's upstream and load (Beast)
    )),
    # Beast (HTTP/1.1 parsing and serving for the gateway) on top of it
    "Boost.Beast": (("boost/beast",), ("daemon/gateway/beast.h", "bench/gateway/beast.h")),
    # any other Boost header: only these homes
    "Boost": (("boost/",), ("daemon/net/asio.h", "daemon/gateway/beast.h",
                            "bench/gateway/beast.h")),
    "libsystemd": (("systemd/",), (
        "daemon/startup.cc",     # sd_listen_fds: socket activation
        "daemon/net/server.cc",  # sd_notify: READY=1 once the socket listens
    )),
    "CLI11": (("CLI/",), ("cli/", "daemon/daemon.cc")),
    "yaml-cpp": (("yaml-cpp/",), ("cli/export/yaml_edit.cc",)),
    "toml++": (("toml++/",), ("cli/export/toml_edit.cc",)),
    # Json is the protocol's value type (keywarden/protocol.h exports it);
    # nlohmann's exceptions stop in core/src/protocol and these readers.
    "nlohmann/json": (("nlohmann/",), (
        "core/include/keywarden/", "core/src/common/", "core/src/store/rows.cc",
        "daemon/validation/", "cli/export/jsonc.h", "tests/",
    )),
    "GoogleTest": (("gtest/", "gmock/"), ("tests/",)),
}
# Not confined: {fmt} stands in for std::format, which g++ 12 lacks, and is
# used like the standard library.

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')


def project_files():
    return [f for f in tree.project_files(ROOT, SOURCE_DIRS)
            if f.split("/", 1)[0] in SOURCE_DIRS and f.endswith((".cc", ".h", ".in"))]


def at_home(path, homes):
    return any(path.startswith(h) if h.endswith("/") else path == h for h in homes)


def main():
    problems = []
    files = project_files()
    for f in files:
        with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as text:
            for number, line in enumerate(text, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                header = m.group(1)
                for library, (prefixes, homes) in HOMES.items():
                    if header.startswith(prefixes) and not at_home(f, homes):
                        problems.append(f"{f}:{number}: includes <{header}>, but {library} "
                                        f"lives only in {', '.join(homes)}")
    for p in problems:
        print(f"homes: error: {p}")
    if problems:
        print("homes: call the home module's own interface instead, or move the code "
              "there (docs/style-gates.md)")
        return 1
    print(f"homes: ok ({len(files)} files, {len(HOMES)} libraries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
