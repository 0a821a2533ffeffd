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
  // Where the previous file is kept (BackupPath); empty: it is not kept.
  std::filesystem::path backup_dir;
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
// mode is never changed. The previous file is first kept at
// BackupPath(file, options.backup_dir), 0600 and written the same way: a
// backup may hold a secret, so it is never left in the file's own
// directory (a project tree). A symlink is replaced at its target. A new file without a secret is
// created 0644 less the umask; an existing one keeps its mode. When `file` already holds exactly
// `bytes` nothing is written (kUnchanged, the backup is left alone), but the file's mode is still
// enforced.
Result<WriteOutcome> WriteAtomically(const std::filesystem::path& file, std::string_view bytes,
                                     const WriteOptions& options);

// Where WriteAtomically keeps the previous version of `file` (a path
// ReplacedFile returned): its absolute path mirrored under `backup_dir`,
// e.g. BACKUPS/home/ana/app/.env. Directories made for it are 0700.
std::filesystem::path BackupPath(const std::filesystem::path& file,
                                 const std::filesystem::path& backup_dir);

// Earlier versions kept the previous file as FILE.keywarden.bak next to
// it. When that file exists (a regular file owned by this user), its bytes
// move to BackupPath(file, backup_dir) + ".older" (0600) and it is
// removed; the new place is returned. nullopt when there was none.
Result<std::optional<std::filesystem::path>> MoveOldBackup(const std::filesystem::path& file,
                                                           const std::filesystem::path& backup_dir);

// The file WriteAtomically replaces for `file`: a symlink's target, else
// `file` made absolute. Its BackupPath is where the previous file is kept.
std::filesystem::path ReplacedFile(const std::filesystem::path& file);

}  // namespace keywarden::cli::exporting
