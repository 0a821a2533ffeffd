// Copies of exported keys (docs/copies.md): what export records, what
// `keywarden copies` finds in each recorded file, and the rewriting of
// stale copies that `keywarden sync` and `rotate/rollback --wait` do.
#pragma once

#include <string>
#include <vector>

#include "command.h"
#include "export/target.h"

namespace keywarden::cli {

// Records a copy in the daemon for each file of `files` that holds the
// secret (FileChange::key_field), at `slot`'s version. A failure is a
// warning: the export itself succeeded. The one hook of `keywarden export`.
void RecordCopies(Client& client, const exporting::Slot& slot, std::string_view target,
                  const std::string& model, const std::vector<exporting::FileChange>& files);

struct SyncOptions {
  std::vector<std::string> refs;  // empty: every slot with copies
  bool dry_run = false;
  bool force = false;  // rewrite `changed` copies too
  bool json = false;
  // Called from rotate/rollback --wait: say nothing when there is nothing
  // to rewrite.
  bool quiet_when_clean = false;
};

// Rewrites the stale (and revoked; with force, changed) copies of the
// slots named with each one's current key. Returns the exit code.
int SyncCopies(Client& client, const Globals& globals, const SyncOptions& options);

}  // namespace keywarden::cli
