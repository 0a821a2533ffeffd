// Reading and atomically replacing the files an export touches
// (DESIGN.md "Export": temp file, fsync, rename, fsync the directory).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "keywarden/status.h"

namespace keywarden::cli::exporting {

// The bytes of `file`; nullopt when it does not exist. kIo when it exists
// but cannot be read (a directory, no permission). A symlink is followed.
Result<std::optional<std::string>> ReadIfExists(const std::filesystem::path& file);

struct WriteOptions {
  // The bytes hold a secret: the file ends 0600 and its directory 0700.
  bool secret = false;
  // With `secret`: false leaves an existing directory's mode alone and only
  // warns (a project directory holding ./.env is not ours to lock down).
  bool tighten_dir = true;
};

enum class WriteOutcome { kCreated, kReplaced, kUnchanged };

// Replaces `file` with `bytes` so that a crash or kill leaves either the old
// or the new file, never a mix: a temp file in the same directory, fsync,
// rename over `file`, fsync the directory. Missing directories are created
// 0700. The previous file is first kept as FILE.keywarden.bak (same mode,
// written the same way). A symlink is replaced at its target. A new file
// without a secret is created 0644 less the umask; an existing one keeps its
// mode. When `file` already holds exactly `bytes` nothing is written
// (kUnchanged, the backup is left alone), but the modes are still enforced.
Result<WriteOutcome> WriteAtomically(const std::filesystem::path& file, std::string_view bytes,
                                     const WriteOptions& options);

// FILE.keywarden.bak, where WriteAtomically keeps the previous file.
std::filesystem::path BackupPath(const std::filesystem::path& file);

}  // namespace keywarden::cli::exporting
