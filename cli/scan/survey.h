// What `keywarden scan` shows and `keywarden import` acts on: the scanner's
// finds, numbered, each with what it is to keywarden (key.identify), and
// the findings about the files that hold them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/client.h"
#include "scan/daemon_seam.h"
#include "scan/scanner.h"

namespace keywarden::cli::scan {

struct Entry {
  size_t number = 0;  // 1-based, in scan order: what import's SELECTION names
  Find find;
  // The caller's slot versions holding the key; nullopt when not asked
  // (no daemon, or one without key.identify).
  std::optional<std::vector<Identity>> identities;
  std::string what;  // Describe(), or "not identified"
};

struct Finding {
  std::filesystem::path file;
  std::string kind;     // "readable_by_others", "git_tracked", "two_environments"
  std::string message;  // one line, no key
};

struct Survey {
  std::vector<Entry> entries;
  std::vector<Finding> findings;
  std::vector<Skip> skipped;
  bool identified = false;  // key.identify answered
};

// Scans, then asks `client` (when not null) what each distinct key is, then
// looks at each file holding a key: its mode, whether git tracks it.
Result<Survey> Run(const Options& options, Client* client);

// Whether git tracks `file` (git ls-files --error-unmatch, no hooks, no
// fsmonitor); false outside a work tree or without git.
bool GitTracked(const std::filesystem::path& file);

}  // namespace keywarden::cli::scan
