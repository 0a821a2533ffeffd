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
// but cannot be read (no permission) or is not a regular file (a
// directory, a FIFO, a device: opened without blocking and refused). A
// symlink is followed.
Result<std::optional<std::string>> ReadIfExists(const std::filesystem::path& file);

struct WriteOptions {
  // The bytes hold a secret: the file ends 0600, and a warning names an
  // existing directory that others can enter (its mode is not changed).
  bool secret = false;
};

enum class WriteOutcome { kCreated, kReplaced, kUnchanged };

// Replaces `file` with `bytes` so that a crash or kill leaves either the old
// or the new file, never a mix: a temp file in the same directory
// (.FILE.keywarden-PID-XXXXXX), fsync, rename over `file`, fsync the
// directory. SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE remove a temp
// file being written before the process dies of them; temp files of this
// pattern for `file` and its backup that a killed export left (owned by
// this user, and of a dead process or older than a minute) are removed
// first. Missing directories are created 0700; an existing directory's
// mode is never changed. The previous file is first kept as
// FILE.keywarden.bak (same mode, written the same way). A symlink is
// replaced at its target. A new file without a secret is created 0644 less
// the umask; an existing one keeps its mode. When `file` already holds
// exactly `bytes` nothing is written (kUnchanged, the backup is left
// alone), but the file's mode is still enforced.
Result<WriteOutcome> WriteAtomically(const std::filesystem::path& file, std::string_view bytes,
                                     const WriteOptions& options);

// FILE.keywarden.bak, where WriteAtomically keeps the previous file.
std::filesystem::path BackupPath(const std::filesystem::path& file);

// The file WriteAtomically replaces for `file`: a symlink's target, else
// `file` made absolute. Its BackupPath is where the previous file is kept.
std::filesystem::path ReplacedFile(const std::filesystem::path& file);

}  // namespace keywarden::cli::exporting
