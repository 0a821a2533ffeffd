// keywarden import [--env ENV] [--all | SELECTION…]: adds keys a scan found
// and keywarden does not know as slots (slot.add, the secret over the
// socket as add sends it), validated as usual, and records each file that
// holds one as a copy (copy.record), so that it follows the next rotation.
// SELECTION: the numbers `keywarden scan` shows, or FILE:LINE.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <memory>
#include <set>

#include "command.h"
#include "export/common.h"
#include "output.h"
#include "reply.h"
#include "scan/survey.h"

namespace keywarden::cli {
namespace {

namespace fs = std::filesystem;

struct ImportOptions {
  std::string env, timeout;  // timeout empty: DefaultWaitTimeout of each provider
  std::vector<std::string> selection, dirs, models;
  bool all = false, no_home = false, wait = false, json = false;
  int depth = 8;
};

// The entries SELECTION names; a usage error names the first item that
// names none.
Result<std::vector<size_t>> Select(const std::vector<scan::Entry>& entries,
                                   const std::vector<std::string>& selection) {
  std::vector<size_t> chosen;
  for (const std::string& item : selection) {
    size_t number = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), number);
    std::vector<size_t> hits;
    if (ec == std::errc() && end == item.data() + item.size()) {
      if (number >= 1 && number <= entries.size()) hits.push_back(number - 1);
    } else if (size_t colon = item.rfind(':'); colon != std::string::npos) {
      size_t line = 0;
      std::string_view line_text = std::string_view(item).substr(colon + 1);
      auto [line_end, line_ec] =
          std::from_chars(line_text.data(), line_text.data() + line_text.size(), line);
      std::error_code fs_ec;
      fs::path file = fs::weakly_canonical(fs::absolute(item.substr(0, colon)), fs_ec);
      if (line_ec == std::errc() && line_end == line_text.data() + line_text.size()) {
        for (size_t i = 0; i < entries.size(); ++i) {
          std::error_code e;
          if (entries[i].find.line == line &&
              fs::weakly_canonical(entries[i].find.file, e) == file) {
            hits.push_back(i);
          }
        }
      }
    }
    if (hits.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("\"{}\" names no find of this scan", item),
                  "`keywarden scan` (with the same directories) numbers the finds; or give "
                  "FILE:LINE");
    }
    chosen.insert(chosen.end(), hits.begin(), hits.end());
  }
  std::sort(chosen.begin(), chosen.end());
  chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  return chosen;
}

// slot.add under ENV/PROVIDER, or PROVIDER-2, -3, … when the name is taken.
Result<AddSlotResult> AddUnderFreeName(Client& client, const std::string& env,
                                       const scan::Find& find,
                                       const std::vector<std::string>& models) {
  for (int n = 1; n <= 50; ++n) {
    AddSlotParams params;
    std::string name = n == 1 ? find.provider : fmt::format("{}-{}", find.provider, n);
    params.ref = env.empty() ? name : env + "/" + name;
    params.provider = find.provider;
    params.models = models;
    params.secret = SecretBuffer::Copy(find.key.view());
    Result<AddSlotResult> added = CallTyped(client, params);
    if (added || added.error().code != ErrorCode::kAlreadyExists) return added;
  }
  return Fail(ErrorCode::kAlreadyExists,
              fmt::format("every name {0}, {0}-2 … {0}-50 is taken", find.provider));
}

int RunImport(const ImportOptions& o, const Globals& globals) {
  if (o.all == !o.selection.empty()) {
    PrintError("name the finds to import, or --all (not both)",
               "`keywarden scan` numbers the finds");
    return kExitUsage;
  }
  std::optional<std::chrono::seconds> timeout;
  if (!o.timeout.empty()) {
    timeout = ParseTimeout(o.timeout);
    if (!timeout) {
      PrintError("--timeout: expected a duration like 90s or 5m, got \"" + o.timeout + "\"");
      return kExitUsage;
    }
  }
  scan::Options options;
  if (!o.no_home) options.home = exporting::HomeDir();
  options.getenv = [](const char* name) { return std::getenv(name); };
  for (const std::string& dir : o.dirs) options.dirs.push_back(fs::absolute(dir));
  options.max_depth = o.depth;

  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Result<scan::Survey> survey = scan::Run(options, &*client);
  if (!survey) return Report(survey.error());
  std::vector<scan::Entry>& entries = survey->entries;

  std::vector<size_t> chosen;
  if (o.all) {
    if (!survey->identified) {
      PrintError("this daemon has no key.identify, so --all cannot tell known keys from unknown",
                 "name the finds to import (`keywarden scan` numbers them)");
      return kExitError;
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      // A commented-out key is likely an old one: imported only by name.
      if (entries[i].find.comment) {
        PrintHint(fmt::format("{} is in a comment; name it to import it", entries[i].number));
        continue;
      }
      chosen.push_back(i);
    }
  } else {
    Result<std::vector<size_t>> selected = Select(entries, o.selection);
    if (!selected) {
      PrintError(selected.error().message, selected.error().hint);
      return kExitUsage;
    }
    chosen = std::move(*selected);
    if (!survey->identified) {
      PrintWarning("this daemon has no key.identify; the keys named are imported as unknown");
    }
  }

  int exit = kExitOk;
  bool copies_warned = false;
  std::set<size_t> done;
  Json report = Json::array();
  for (size_t index : chosen) {
    if (done.contains(index)) continue;
    const scan::Entry& entry = entries[index];
    if (entry.identities && !entry.identities->empty()) {
      std::cerr << "keywarden: " << entry.number << " is already in keywarden (" << entry.what
                << ")\n";
      continue;
    }
    // Every place of the same key: one slot, one copy per file.
    std::vector<size_t> places;
    std::vector<std::string> models;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].find.key.view() != entry.find.key.view()) continue;
      places.push_back(i);
      done.insert(i);
      for (const std::string& model : entries[i].find.models) {
        if (std::find(models.begin(), models.end(), model) == models.end()) {
          models.push_back(model);
        }
      }
    }
    if (models.empty()) models = o.models;
    if (models.empty()) {
      PrintError(fmt::format("{} ({}:{}): the tool's config names no model for this key",
                             entry.number, entry.find.file.string(), entry.find.line),
                 "pass --models M[,M…]");
      exit = kExitUsage;
      continue;
    }
    Result<AddSlotResult> added = AddUnderFreeName(*client, o.env, entry.find, models);
    if (!added) {
      exit = Report(added.error());
      continue;
    }
    const SlotObject& slot = added->slot;
    PrintWarnings(added->warnings);
    const VersionObject* first = slot.FindVersion(1);
    Json copies = Json::array();
    std::set<fs::path> files;
    for (size_t i : places) {
      const scan::Find& find = entries[i].find;
      if (files.contains(find.file)) continue;
      if (find.copy_field.empty()) {
        std::cerr << "keywarden: " << find.file.string() << ":" << find.line
                  << " is not recorded as a copy: sync cannot rewrite a key there ("
                  << (find.comment ? "a comment" : "not a NAME=value line or a JSON member")
                  << "); edit it by hand after a rotation\n";
        continue;
      }
      files.insert(find.file);
      Result<bool> recorded = scan::RecordCopy(*client, slot.ref, 1, find.tool, find.file,
                                               find.copy_field, models.front());
      if (!recorded) {
        exit = Report(recorded.error());
        continue;
      }
      if (!*recorded && !copies_warned) {
        PrintWarning("this daemon has no copy.record; the files are not recorded as copies");
        copies_warned = true;
      }
      if (*recorded) copies.push_back(find.file.string());
    }
    if (!(o.json || globals.json)) {
      std::cout << "imported " << entry.number << " (" << entry.find.Masked() << ") as " << slot.ref
                << " version 1" << (first != nullptr ? " (" + first->fingerprint + ")" : "")
                << ", pending validation; " << copies.size() << " cop"
                << (copies.size() == 1 ? "y" : "ies") << " recorded\n";
    }
    report.push_back({{"number", entry.number},
                      {"ref", slot.ref},
                      {"provider", slot.provider},
                      {"models", models},
                      {"key", entry.find.Masked()},
                      {"copies", copies}});
    if (o.wait) {
      int waited = WaitUntilSettled(*client, slot.ref,
                                    timeout ? *timeout : DefaultWaitTimeout(slot.provider));
      if (waited != kExitOk && exit == kExitOk) exit = waited;
    }
  }
  if (o.json || globals.json) PrintJson({{"imported", report}});
  return exit;
}

}  // namespace

void RegisterImport(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import", "add keys found by scan as slots, and record their files as copies");
  cmd->add_option("selection", o->selection, "finds to import: scan's numbers, or FILE:LINE");
  cmd->add_flag("--all", o->all, "import every unknown key the scan finds");
  cmd->add_option("--env", o->env, "the environment of the new slots (default: the daemon's)");
  cmd->add_option("--dir", o->dirs, "a directory scanned for .env* files, as for scan DIR")
      ->allow_extra_args(false)
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--depth", o->depth, "directory levels searched below each --dir (default 8)")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("--no-home", o->no_home, "skip the known tool files of your home directory");
  cmd->add_option("--models", o->models, "models for a key whose tool config names none")
      ->allow_extra_args(false)
      ->delimiter(',');
  cmd->add_flag("--wait", o->wait, "wait until each new key is verified or fails");
  cmd->add_option("--timeout", o->timeout,
                  "give up waiting after this long (default: the provider's activation window plus "
                  "1m, at least 2m)");
  cmd->add_flag("--json", o->json, "print the slots added as JSON");
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunImport(*o, globals); }; });
}

}  // namespace keywarden::cli
