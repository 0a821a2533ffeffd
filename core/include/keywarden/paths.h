// Where keywarden's files live (DESIGN.md "Files and modes").
#pragma once

#include <filesystem>
#include <optional>

#include "keywarden/status.h"

namespace keywarden {

struct PathOptions {
  std::optional<std::filesystem::path> home;    // --home; else $KEYWARDEN_HOME
  std::optional<std::filesystem::path> socket;  // --socket; else $KEYWARDEN_SOCKET
  bool system = false;                          // system mode (under systemd)
};

struct Paths {
  std::filesystem::path config_file;
  std::filesystem::path state_dir;
  std::filesystem::path db_file;
  std::filesystem::path master_key_file;  // <state>/master.key
  std::filesystem::path lock_file;        // <state>/keywardend.lock
  std::filesystem::path socket_file;
  bool system = false;
};

// Resolution order: --home / KEYWARDEN_HOME puts everything under one
// directory. Otherwise system mode uses $STATE_DIRECTORY (default
// /var/lib/keywarden), $RUNTIME_DIRECTORY (default /run/keywarden) and
// /etc/keywarden/config.json; user mode uses $XDG_CONFIG_HOME/keywarden,
// $XDG_STATE_HOME/keywarden and $XDG_RUNTIME_DIR/keywarden (falling back to
// ~/.config, ~/.local/state and the state directory). --socket /
// KEYWARDEN_SOCKET override only the socket. kInvalidArgument when no home
// directory can be determined.
Result<Paths> ResolvePaths(const PathOptions& options);

}  // namespace keywarden
