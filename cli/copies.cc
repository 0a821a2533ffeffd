// keywarden copies [ENV/NAME] [--json] [--forget-missing] and
// keywarden sync [ENV/NAME…] [--dry-run] [--force] [--json]: the copies of
// exported keys (docs/copies.md). The daemon records where each copy is
// and which version it was written with; the CLI reads the files, as the
// user, and asks the daemon which version a key it found is (key.identify,
// the caller's own slots only).
#include "copies.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "export/atomic_file.h"
#include "export/copy_file.h"
#include "export/fetch.h"
#include "export/preview.h"
#include "keywarden/keyformat.h"
#include "output.h"

namespace keywarden::cli {
namespace {

namespace ex = exporting;
namespace fs = std::filesystem;

// What a recorded file holds now.
struct Finding {
  std::string status;              // current, stale, revoked, changed, missing, unreadable
  std::optional<int64_t> version;  // the version found (current, stale, revoked)
  std::string state;               // its state
  std::string mask;                // the key found, masked
  std::string detail;
};

// The key read from a file, wiped when it goes.
struct FoundKey {
  std::string text;
  ~FoundKey() { Wipe(text); }
};

Finding Inspect(Client& client, const CopyObject& copy) {
  Finding f;
  Result<std::optional<std::string>> bytes = ex::ReadIfExists(copy.path);
  if (!bytes) return {"unreadable", {}, "", "", bytes.error().message};
  if (!*bytes) return {"missing", {}, "", "", "the file is gone"};
  FoundKey key;
  {
    Result<std::optional<std::string>> read = ex::ReadKeyField(**bytes, copy.field);
    Wipe(**bytes);
    if (!read) return {"changed", {}, "", "", "the file does not parse: " + read.error().message};
    if (!*read || (*read)->empty()) {
      return {"missing", {}, "", "", "the file no longer has the entry (" + copy.field + ")"};
    }
    key.text = std::move(**read);
  }
  f.mask = MaskKey(key.text);
  Result<IdentifyKeyResult> who =
      CallTyped(client, IdentifyKeyParams{SecretBuffer::Copy(key.text)});
  if (!who) return {"unreadable", {}, "", f.mask, who.error().message};
  const KeyMatchObject* mine = nullptr;
  for (const KeyMatchObject& m : who->matches) {
    if (m.ref == copy.ref) mine = &m;
  }
  if (mine == nullptr) {
    f.status = "changed";
    f.detail = who->matches.empty() ? "a key keywarden does not know"
                                    : "the key of " + who->matches.front().ref + " version " +
                                          std::to_string(who->matches.front().version);
    return f;
  }
  f.version = mine->version;
  f.state = mine->state;
  if (mine->current) {
    f.status = "current";
  } else if (mine->state == "revoked" || mine->destroyed) {
    f.status = "revoked";
    f.detail = fmt::format("version {} ({})", mine->version,
                           mine->destroyed && mine->state != "revoked" ? "destroyed" : mine->state);
  } else {
    f.status = "stale";
    f.detail = fmt::format("version {} ({})", mine->version, mine->state);
  }
  return f;
}

Json FindingJson(const CopyObject& copy, const Finding& f) {
  return Json{
      {"ref", copy.ref},
      {"target", copy.target},
      {"path", copy.path},
      {"field", copy.field},
      {"status", f.status},
      {"version", f.version ? Json(*f.version) : Json(nullptr)},
      {"version_state", f.state.empty() ? Json(nullptr) : Json(f.state)},
      {"key", f.mask.empty() ? Json(nullptr) : Json(f.mask)},
      {"current_version", copy.current_version ? Json(*copy.current_version) : Json(nullptr)},
      {"recorded_version", copy.version},
      {"recorded_at", copy.recorded_at},
      {"detail", f.detail}};
}

Result<std::vector<CopyObject>> ListFor(Client& client, const std::vector<std::string>& refs) {
  std::vector<CopyObject> out;
  if (refs.empty()) {
    Result<CopyListResult> all = CallTyped(client, CopyListParams{});
    if (!all) return std::unexpected(all.error());
    return std::move(all->copies);
  }
  for (const std::string& ref : refs) {
    Result<CopyListResult> some = CallTyped(client, CopyListParams{ref});
    if (!some) return std::unexpected(some.error());
    for (CopyObject& c : some->copies) out.push_back(std::move(c));
  }
  return out;
}

struct CopiesOptions {
  std::string ref;
  bool json = false, forget_missing = false;
};

int RunCopies(const CopiesOptions& o, const Globals& globals) {
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  std::vector<std::string> refs;
  if (!o.ref.empty()) refs.push_back(o.ref);
  Result<std::vector<CopyObject>> copies = ListFor(*client, refs);
  if (!copies) return Report(copies.error());
  Json list = Json::array();
  std::vector<std::vector<std::string>> rows = {{"REF", "TARGET", "STATUS", "PATH", "DETAIL"}};
  std::map<std::string, int> counts;
  for (const CopyObject& copy : *copies) {
    Finding f = Inspect(*client, copy);
    if (o.forget_missing && f.status == "missing" && !fs::exists(copy.path)) {
      Result<CopyForgetResult> gone = CallTyped(*client, CopyForgetParams{copy.ref, copy.path});
      if (!gone) return Report(gone.error());
      f.detail = "the file is gone; forgotten";
    }
    ++counts[f.status];
    list.push_back(FindingJson(copy, f));
    rows.push_back({copy.ref, copy.target, f.status, copy.path, f.detail});
  }
  if (o.json || globals.json) {
    PrintJson(Json{{"copies", std::move(list)}});
    return kExitOk;
  }
  if (copies->empty()) {
    std::cout << "no copies recorded" << (o.ref.empty() ? "" : " of " + o.ref)
              << "; `keywarden export` records each file it writes\n";
    return kExitOk;
  }
  std::cout << FormatTable(rows, OutputWidth());
  if (counts["stale"] + counts["revoked"] > 0) {
    PrintHint("`keywarden sync` rewrites stale and revoked copies with the current key");
  }
  if (counts["changed"] > 0) {
    PrintHint("a changed copy was edited by hand; `keywarden sync --force` overwrites it");
  }
  if (counts["missing"] > 0 && !o.forget_missing) {
    PrintHint("`keywarden copies --forget-missing` forgets copies whose file is gone");
  }
  return kExitOk;
}

// Records `copy` at `version`; a failure is a warning.
void Rerecord(Client& client, const CopyObject& copy, int64_t version) {
  Result<CopyRecordResult> r = CallTyped(
      client, CopyRecordParams{copy.ref, copy.target, copy.path, copy.field, copy.model, version});
  if (!r) PrintWarning("could not record the copy at " + copy.path + ": " + r.error().message);
}

}  // namespace

void RecordCopies(Client& client, const ex::Slot& slot, std::string_view target,
                  const std::string& model, const std::vector<ex::FileChange>& files) {
  for (const ex::FileChange& change : files) {
    if (!change.secret || change.key_field.empty()) continue;
    std::error_code ec;
    fs::path path = fs::absolute(change.path, ec).lexically_normal();
    if (ec) path = change.path;
    CopyObject copy;
    copy.ref = slot.ref;
    copy.target = std::string(target);
    copy.path = path.string();
    copy.field = change.key_field;
    copy.model = model;
    Rerecord(client, copy, slot.version);
  }
}

int SyncCopies(Client& client, const Globals& globals, const SyncOptions& o) {
  Result<std::vector<CopyObject>> copies = ListFor(client, o.refs);
  if (!copies) return Report(copies.error());
  Result<fs::path> backup_dir = BackupDirectory(globals);
  if (!backup_dir) return Report(backup_dir.error());
  // The copies to rewrite, by ref, and what each holds now.
  std::map<std::string, std::vector<std::pair<CopyObject, Finding>>> todo;
  Json report = Json::array();
  int exit_code = kExitOk;
  for (const CopyObject& copy : *copies) {
    Finding f = Inspect(client, copy);
    const bool rewrite =
        f.status == "stale" || f.status == "revoked" || (f.status == "changed" && o.force);
    if (rewrite) {
      todo[copy.ref].emplace_back(copy, std::move(f));
      continue;
    }
    // A file that already holds the current key: its record follows.
    if (f.status == "current" && f.version && *f.version != copy.version && !o.dry_run) {
      Rerecord(client, copy, *f.version);
    }
    Json item = FindingJson(copy, f);
    item["action"] = f.status == "changed"   ? "kept (edited by hand; --force overwrites it)"
                     : f.status == "current" ? "up to date"
                                             : "skipped";
    report.push_back(item);
    if (!o.json && f.status != "current") {
      std::cout << fmt::format(
          "{}: {} copy at {} {}{}\n", copy.ref, f.status, copy.path,
          f.status == "changed" ? "left alone (--force overwrites it)" : "skipped",
          f.detail.empty() ? "" : " (" + f.detail + ")");
    }
  }
  int rewritten = 0;
  for (auto& [ref, list] : todo) {
    Result<ex::Slot> slot = ex::FetchSlot(client, ref, "sync");
    if (!slot) {
      PrintError(fmt::format("cannot sync the copies of {}: {}", ref, slot.error().message),
                 slot.error().hint);
      exit_code = ExitCodeFor(slot.error().code);
      continue;
    }
    const std::string_view secret = slot->secret.view();
    for (auto& [copy, f] : list) {
      Json item = FindingJson(copy, f);
      Result<std::optional<std::string>> before = ex::ReadIfExists(copy.path);
      if (!before || !*before) {
        PrintError(fmt::format("cannot read {}", copy.path),
                   before ? "the file is gone" : before.error().message);
        exit_code = kExitError;
        continue;
      }
      Result<std::string> after = ex::ReplaceKeyField(**before, copy.field, secret);
      if (!after) {
        PrintError(fmt::format("cannot update {}: {}", copy.path, after.error().message),
                   "nothing was changed");
        exit_code = kExitError;
        continue;
      }
      ex::FileChange change{copy.path, std::move(*before), std::move(*after), true, copy.field};
      const std::string what = fmt::format(
          "{} {} -> version {}", ref,
          f.version ? "version " + std::to_string(*f.version) : std::string("changed key"),
          slot->version);
      if (o.dry_run) {
        item["action"] = "would rewrite";
        item["preview"] = ex::DescribeChange(change, secret);
        if (!o.json) {
          std::cout << "would rewrite " << copy.path << " (" << what << ")\n"
                    << ex::DescribeChange(change, secret);
        }
      } else {
        Result<ex::WriteOutcome> written = ex::WriteAtomically(
            change.path, change.after, {.secret = true, .backup_dir = *backup_dir});
        if (!written) {
          PrintError(fmt::format("cannot write {}: {}", copy.path, written.error().message),
                     written.error().hint);
          exit_code = kExitError;
          continue;
        }
        ++rewritten;
        Rerecord(client, copy, slot->version);
        item["action"] = "rewritten";
        item["version"] = slot->version;
        if (!o.json) std::cout << "rewrote " << copy.path << " (" << what << ")\n";
      }
      Wipe(change.after);
      if (change.before) Wipe(*change.before);
      report.push_back(std::move(item));
    }
  }
  if (o.json) {
    PrintJson(Json{{"dry_run", o.dry_run}, {"copies", std::move(report)}});
  } else if (todo.empty() && !o.quiet_when_clean && exit_code == kExitOk) {
    std::cout << "no stale copies" << (copies->empty() ? " (no copies recorded)" : "") << "\n";
  } else if (rewritten > 0) {
    PrintHint("restart the tools that read these files, or let them reload");
  }
  return exit_code;
}

void RegisterCopies(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<CopiesOptions>();
  CLI::App* cmd =
      app.add_subcommand("copies", "what each file keywarden exported a key into holds now");
  cmd->add_option("ref", o->ref, "ENV/NAME (default: every slot)")->check(RefSyntax());
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->add_flag("--forget-missing", o->forget_missing,
                "forget the copies whose file no longer exists");
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunCopies(*o, globals); }; });
}

void RegisterSync(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<SyncOptions>();
  CLI::App* cmd =
      app.add_subcommand("sync", "rewrite stale copies of exported keys with the current key");
  cmd->add_option("refs", o->refs, "ENV/NAME… (default: every slot)")->check(RefSyntax());
  cmd->add_flag("--dry-run", o->dry_run, "print each change, keys masked, and write nothing");
  cmd->add_flag("--force", o->force, "also overwrite copies edited by hand (changed)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      Result<Client> client = ConnectDaemon(globals);
      if (!client) return Report(client.error());
      SyncOptions options = *o;
      options.json = options.json || globals.json;
      return SyncCopies(*client, globals, options);
    };
  });
}

}  // namespace keywarden::cli
