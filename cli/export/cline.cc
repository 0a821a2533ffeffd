// --to cline: the provider's entry in Cline's providers.json
// (~/.cline/data/settings/providers.json), read by the Cline CLI 3.x and the
// SDK-based VS Code extension. Cline keys the file by provider, so one slot
// per provider is exported at a time. reference/ide-configs.md §1.
#include <cstdlib>

#include "export/atomic_file.h"
#include "export/common.h"

namespace keywarden::cli::exporting {
namespace fs = std::filesystem;
namespace {

std::string ClineProvider(const std::string& provider) {
  return provider == "openai" ? "openai-native" : provider;
}

// Cline's own overrides, most specific first.
fs::path DefaultFile() {
  if (const char* file = std::getenv("CLINE_PROVIDER_SETTINGS_PATH"); file && *file) return file;
  fs::path data =
      DirFromEnv("CLINE_DATA_DIR", DirFromEnv("CLINE_DIR", HomeDir() / ".cline") / "data");
  return data / "settings" / "providers.json";
}

}  // namespace

Result<Plan> PlanCline(const Request& request) {
  const Slot& slot = *request.slot;
  fs::path file = TargetPath(request, DefaultFile());
  Result<std::optional<std::string>> before = ReadIfExists(file);
  if (!before) return std::unexpected(before.error());
  Result<JsoncDocument> doc = LoadJson(file, *before, /*comments=*/false);
  if (!doc) return std::unexpected(doc.error());

  const std::string id = ClineProvider(slot.provider);
  const std::vector<std::string> entry = {"providers", id};
  auto in = [](std::vector<std::string> path, std::initializer_list<std::string> more) {
    path.insert(path.end(), more);
    return path;
  };
  std::vector<Status> steps;
  // A new file gets the fields Cline's schema expects; an existing choice
  // of lastUsedProvider is the user's.
  const OrderedJson& top = doc->value();
  if (!top.contains("version")) steps.push_back(doc->Set({"version"}, 1));
  if (!top.contains("lastUsedProvider")) steps.push_back(doc->Set({"lastUsedProvider"}, id));
  if (!top.contains("modes")) steps.push_back(doc->Set({"modes"}, OrderedJson::object()));
  const std::string unchanged = doc->text();
  // Field by field, so settings keywarden does not own (auth, headers,
  // timeout, …) stay.
  steps.push_back(doc->Set(in(entry, {"settings", "provider"}), id));
  steps.push_back(doc->Set(in(entry, {"settings", "apiKey"}), std::string(slot.secret.view())));
  steps.push_back(doc->Set(in(entry, {"settings", "model"}), request.model));
  if (IsDefaultEndpoint(slot)) {
    steps.push_back(doc->Remove(in(entry, {"settings", "baseUrl"})));
  } else {
    steps.push_back(doc->Set(in(entry, {"settings", "baseUrl"}), slot.base_url));
  }
  steps.push_back(doc->Set(in(entry, {"tokenSource"}), "manual"));
  // updatedAt moves only with a real change, so exporting twice gives the
  // same bytes.
  if (doc->text() != unchanged) steps.push_back(doc->Set(in(entry, {"updatedAt"}), NowIso8601()));
  for (const Status& step : steps) {
    if (!step) return std::unexpected(EditFailure(file, step.error().message));
  }

  Plan plan;
  plan.files.push_back({file, std::move(*before), doc->text(), /*secret=*/true,
                        JsonField(in(entry, {"settings", "apiKey"}))});
  plan.notes.push_back("run `cline -P " + id + " …`, or pick " + id +
                       " in Cline's settings; restart Cline to reload");
  return plan;
}

}  // namespace keywarden::cli::exporting
