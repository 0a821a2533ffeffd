#include "export/common.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "keywarden/providers.h"

namespace keywarden::cli::exporting {
namespace fs = std::filesystem;

Plan::~Plan() {
  for (FileChange& change : files) {
    if (change.secret) {
      Wipe(change.after);
      if (change.before) Wipe(*change.before);
    }
  }
  Wipe(stdout_text);
}

const std::vector<Target>& Targets() {
  static const std::vector<Target> kTargets = {
      {"cline", PlanCline},   {"continue", PlanContinue},
      {"roo", PlanRoo},       {"claude-code", PlanClaudeCode},
      {"codex", PlanCodex},   {"gemini-cli", PlanGeminiCli},
      {"dotenv", PlanDotenv}, {"shell", PlanShell},
  };
  return kTargets;
}

const Target* FindTarget(std::string_view name) {
  for (const Target& target : Targets()) {
    if (target.name == name) return &target;
  }
  return nullptr;
}

fs::path HomeDir() {
  if (const char* home = std::getenv("HOME"); home && *home) return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

fs::path DirFromEnv(const char* var, const fs::path& fallback) {
  const char* value = std::getenv(var);
  return value && *value ? fs::path(value) : fallback;
}

fs::path ConfigHome() { return DirFromEnv("XDG_CONFIG_HOME", HomeDir() / ".config"); }

std::string TrimSuffix(std::string_view url, std::string_view suffix) {
  while (url.ends_with('/')) url.remove_suffix(1);
  if (!suffix.empty() && url.ends_with(suffix)) url.remove_suffix(suffix.size());
  return std::string(url);
}

bool IsDefaultEndpoint(const Slot& slot) {
  const ProviderInfo* provider = Catalogue::Builtin().Find(slot.provider);
  if (provider == nullptr) return false;
  auto it = provider->endpoints.find(provider->default_endpoint);
  return it != provider->endpoints.end() &&
         TrimSuffix(it->second, "") == TrimSuffix(slot.base_url, "");
}

std::string EntryName(const Slot& slot) { return "keywarden-" + slot.env + "-" + slot.name; }

std::string SlotVarName(const Slot& slot) {
  std::string name = "KEYWARDEN_" + slot.env + "_" + slot.name;
  for (char& c : name) {
    if (c == '-') c = '_';
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return name;
}

std::string BaseUrlVar(const Slot& slot) {
  if (slot.provider == "gemini") return "GOOGLE_GEMINI_BASE_URL";
  std::string_view var = slot.env_var;
  if (var.ends_with("_API_KEY")) var.remove_suffix(8);
  return std::string(var) + "_BASE_URL";
}

fs::path TargetPath(const Request& request, const fs::path& fallback) {
  return request.path.empty() ? fallback : request.path;
}

Error ParseFailure(const fs::path& file, std::string_view detail) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("cannot parse {}: {}", file.string(), detail),
               "nothing was changed; fix the file, or move it aside to start a new one"};
}

Error EditFailure(const fs::path& file, std::string_view detail) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("cannot update {}: {}", file.string(), detail), "nothing was changed"};
}

Error FileFailure(const fs::path& file, const Error& error) {
  return error.code == ErrorCode::kInvalidArgument ? ParseFailure(file, error.message)
                                                   : EditFailure(file, error.message);
}

Result<JsoncDocument> LoadJson(const fs::path& file, const std::optional<std::string>& before,
                               bool comments) {
  std::string text = before.value_or("");
  // A byte order mark stays; the parser reads past it.
  const std::string_view bom = "\xEF\xBB\xBF";
  const size_t start = text.starts_with(bom) ? bom.size() : 0;
  if (text.find_first_not_of(" \t\r\n", start) == std::string::npos) {
    text = std::string(bom.substr(0, start)) + "{}\n";
  }
  Result<JsoncDocument> doc = JsoncDocument::Parse(std::move(text), comments);
  if (!doc) return std::unexpected(ParseFailure(file, doc.error().message));
  if (!doc->value().is_object())
    return std::unexpected(ParseFailure(file, "the top level is not an object"));
  return doc;
}

Error UnsupportedProvider(std::string_view target, const Slot& slot, std::string_view supported) {
  return Error{
      ErrorCode::kInvalidArgument,
      fmt::format("{} cannot use {}, whose key is for {}", target, slot.ref, slot.provider),
      fmt::format("{} takes {} keys; `keywarden exec {} -- CMD` gives any tool the key "
                  "in {}",
                  target, supported, slot.ref, slot.env_var)};
}

std::string ShellQuote(std::string_view word) {
  bool plain = !word.empty();
  for (char c : word) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string_view("_-./=:@%+,").find(c) != std::string_view::npos;
    plain = plain && safe;
  }
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ShellCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& word : argv) {
    if (!out.empty()) out += ' ';
    out += ShellQuote(word);
  }
  return out;
}

std::string NowIso8601() {
  auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(now);
  auto millis = (now - seconds).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)), millis);
}

std::string DotenvField(std::string_view name) { return "dotenv:" + std::string(name); }

std::string JsonPointerStep(std::string_view key) {
  std::string out = "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string JsonField(const std::vector<std::string>& path) {
  std::string out = "json:";
  for (const std::string& key : path) out += JsonPointerStep(key);
  return out;
}

}  // namespace keywarden::cli::exporting
