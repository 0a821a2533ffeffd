// The key scanner of `keywarden scan` and `keywarden import`: files in,
// finds out. It reads the known tool files of a home directory and the
// .env* files under some directories, as the user running the CLI, and
// reports each provider key it sees with where it sits. It knows nothing of
// the daemon: what a key is to keywarden is asked separately (identify.h).
// The daemon never reads home directories.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/secret.h"

namespace keywarden::cli::scan {

// How a file's text is read.
enum class Format {
  kDotenv,  // NAME=value, export NAME=value (also shell rc files, .envrc)
  kShell,   // as kDotenv plus fish's `set -gx NAME value`
  kJson,    // a JSON document (comments allowed), walked field by field
  kYaml,    // key: value, list items, aider's `api-key: provider=key`
  kToml,    // key = "value"
};

// One key seen in one place. Move-only: it holds the key.
struct Find {
  std::filesystem::path file;  // absolute
  size_t line = 0;             // 1-based
  // Where in the line or document: the variable ("OPENROUTER_API_KEY"),
  // the JSON field path ("providers.openrouter.settings.apiKey"), the YAML
  // or TOML key; "" when only the key's prefix was seen.
  std::string field;
  // Where `keywarden sync` can rewrite the key, as copy.record takes it:
  // "dotenv:NAME" (a NAME=value or export NAME=value line), "json:/a/b" (a
  // JSON pointer); "" where keywarden cannot rewrite it (YAML, TOML, fish,
  // a key seen only by its prefix, a comment).
  std::string copy_field;
  std::string tool;      // "cline", "continue", "claude-code", "codex", "dotenv", "shell", …
  std::string provider;  // a catalogue id
  std::string by;        // "name" (field or variable name) or "prefix" (the key's shape)
  bool comment = false;  // the line is commented out
  // Models the tool's own config names next to the key (Continue's model
  // entry, Cline's settings.model, aider's model), provider prefix removed.
  std::vector<std::string> models;
  SecretBuffer key;

  // The key as the CLI shows it (MaskKey): never the full key.
  std::string Masked() const;
};

// A file that was looked at and not read, and why.
struct Skip {
  std::filesystem::path file;
  std::string reason;  // "larger than 1 MiB", "binary", "permission denied", …
};

// A file to read whole: a known tool file, or a .env* file found in a tree.
struct Source {
  std::filesystem::path path;
  Format format = Format::kDotenv;
  std::string tool;
};

struct Options {
  // The home directory whose known tool files are read; empty: none.
  std::filesystem::path home;
  // Environment lookups for the tools' own overrides (CLINE_DIR,
  // CONTINUE_GLOBAL_DIR, CODEX_HOME, CLAUDE_CONFIG_DIR, GEMINI_CLI_HOME,
  // XDG_CONFIG_HOME); null: none are set.
  std::function<const char*(const char*)> getenv;
  // Trees searched for .env* files (and a project's .claude/settings*.json,
  // .aider.conf.yml).
  std::vector<std::filesystem::path> dirs;
  int max_depth = 8;                  // directory levels below each of `dirs`
  uintmax_t max_bytes = 1024 * 1024;  // larger files are skipped
};

struct Report {
  std::vector<Find> finds;  // in the order of `sources`, then line
  std::vector<Skip> skipped;
  std::vector<Source> sources;  // every file read
};

// The known tool files under `options.home` (whether they exist or not).
std::vector<Source> KnownFiles(const Options& options);

// The keys in one file's text. `file` and `tool` are copied into the finds.
// A UTF-8 BOM and CRLF line ends are accepted. Pure: no I/O.
std::vector<Find> ScanText(std::string_view text, Format format, std::string_view tool,
                           const std::filesystem::path& file);

// Reads the known files and walks `options.dirs` (depth-bounded; skipping
// .git, node_modules, build trees, binaries, files over max_bytes, anything
// not a regular file, and symlinks whose target leaves the tree).
Report Scan(const Options& options);

}  // namespace keywarden::cli::scan
