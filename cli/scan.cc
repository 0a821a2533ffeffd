// keywarden scan [DIR…] [--json]: provider keys in the known tool files of
// the user and in the .env* files under DIRs, each with where it is, whose
// it is and what it is to keywarden; never a full key (docs/copies.md
// "Scan and import"). The files are read here, as the user; the daemon only
// answers key.identify.
#include <iostream>
#include <memory>

#include "command.h"
#include "export/common.h"
#include "output.h"
#include "scan/survey.h"

namespace keywarden::cli {
namespace {

struct ScanOptions {
  std::vector<std::string> dirs;
  bool json = false, no_home = false;
  int depth = 8;
};

// "~/x" for a file under the home directory, as the table shows it.
std::string Short(const std::filesystem::path& file, const std::filesystem::path& home) {
  std::string text = file.string(), prefix = home.string();
  if (!prefix.empty() && text.starts_with(prefix + "/")) return "~" + text.substr(prefix.size());
  return text;
}

Json EntryJson(const scan::Entry& entry) {
  Json identities = nullptr;
  if (entry.identities) {
    identities = Json::array();
    for (const scan::Identity& identity : *entry.identities) {
      identities.push_back({{"ref", identity.ref},
                            {"version", identity.version},
                            {"state", identity.state},
                            {"current", identity.current},
                            {"destroyed", identity.destroyed}});
    }
  }
  return {{"number", entry.number},      {"file", entry.find.file.string()},
          {"line", entry.find.line},     {"field", entry.find.field},
          {"tool", entry.find.tool},     {"provider", entry.find.provider},
          {"by", entry.find.by},         {"comment", entry.find.comment},
          {"models", entry.find.models}, {"key", entry.find.Masked()},
          {"what", entry.what},          {"identities", identities}};
}

int RunScan(const ScanOptions& o, const Globals& globals) {
  scan::Options options;
  if (!o.no_home) options.home = exporting::HomeDir();
  options.getenv = [](const char* name) { return std::getenv(name); };
  for (const std::string& dir : o.dirs) options.dirs.push_back(std::filesystem::absolute(dir));
  options.max_depth = o.depth;

  // Without a daemon the finds are still shown, not identified.
  Result<Client> client = ConnectDaemon(globals);
  if (!client) {
    PrintWarning("the daemon is not reachable (" + client.error().message +
                 "); what each key is to keywarden is not shown");
  }
  Result<scan::Survey> survey = scan::Run(options, client ? &*client : nullptr);
  if (!survey) return Report(survey.error());
  if (client && !survey->identified) {
    PrintWarning("this daemon has no key.identify; what each key is to keywarden is not shown");
  }
  if (o.json || globals.json) {
    Json out = {{"finds", Json::array()}, {"findings", Json::array()}, {"skipped", Json::array()}};
    for (const scan::Entry& entry : survey->entries) out["finds"].push_back(EntryJson(entry));
    for (const scan::Finding& finding : survey->findings) {
      out["findings"].push_back(
          {{"file", finding.file.string()}, {"kind", finding.kind}, {"message", finding.message}});
    }
    for (const scan::Skip& skip : survey->skipped) {
      out["skipped"].push_back({{"file", skip.file.string()}, {"reason", skip.reason}});
    }
    PrintJson(out);
    return kExitOk;
  }
  const std::filesystem::path home = options.home;
  if (survey->entries.empty()) {
    std::cout << "no keys found\n";
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"#", "FILE:LINE", "FIELD", "PROVIDER", "KEY", "KEYWARDEN"}};
    for (const scan::Entry& entry : survey->entries) {
      const scan::Find& find = entry.find;
      std::string field = find.field.empty() ? "(by prefix)" : find.field;
      if (find.comment) field += " (comment)";
      rows.push_back({std::to_string(entry.number),
                      Short(find.file, home) + ":" + std::to_string(find.line), field,
                      find.provider, find.Masked(), entry.what});
    }
    std::cout << FormatTable(rows, OutputWidth());
  }
  if (!survey->findings.empty()) {
    std::cout << "\nfindings:\n";
    for (const scan::Finding& finding : survey->findings) {
      std::cout << "  " << finding.message << "\n";
    }
  }
  for (const scan::Skip& skip : survey->skipped) {
    std::cerr << "keywarden: skipped " << skip.file.string() << ": " << skip.reason << "\n";
  }
  bool unknown = false;
  for (const scan::Entry& entry : survey->entries) {
    unknown = unknown || (entry.identities && entry.identities->empty());
  }
  if (unknown) PrintHint("`keywarden import --env ENV NUMBER…` adds unknown keys as slots");
  return kExitOk;
}

}  // namespace

void RegisterScan(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<ScanOptions>();
  CLI::App* cmd = app.add_subcommand(
      "scan", "find provider keys in tool configs and .env files (masked; nothing is changed)");
  cmd->add_option("dirs", o->dirs, "directories whose .env* files to search too")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--depth", o->depth, "directory levels searched below each DIR (default 8)")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("--no-home", o->no_home, "skip the known tool files of your home directory");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunScan(*o, globals); }; });
}

}  // namespace keywarden::cli
