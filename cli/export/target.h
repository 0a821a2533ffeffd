// Export targets (DESIGN.md "Export"): each target turns a verified slot
// into the new contents of the files its tool reads. A target only plans;
// `keywarden export` prints the plan (--dry-run) or writes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/secret.h"
#include "keywarden/status.h"

namespace keywarden::cli::exporting {

// What the daemon's slot.get returned: the secret of a usable slot and the
// endpoint it was verified against.
struct Slot {
  std::string ref;       // "dev/openrouter"
  std::string env;       // "dev"
  std::string name;      // "openrouter"
  std::string provider;  // catalogue id: "openrouter", "mistral", "openai-compatible", ...
  std::string endpoint;  // "default", "codestral", or a URL
  std::string base_url;  // the resolved base URL the key was verified against
  std::string env_var;   // "OPENROUTER_API_KEY"
  std::vector<std::string> models;
  int64_t version = 0;
  SecretBuffer secret;
};

struct Request {
  const Slot* slot = nullptr;
  std::string model;           // --model, else the slot's first model
  std::filesystem::path path;  // --path; empty: the target's default file
  // argv of a command that prints the slot's current secret: the absolute
  // keywarden binary, --home/--socket when given, "get", the ref.
  std::vector<std::string> get_command;
  std::filesystem::path backup_dir;  // where replaced files are kept (BackupPath)
  // --via gateway: the slot's `secret` is a gateway token and its
  // `base_url` the gateway's URL for its endpoint (GatewayEndpointUrl); a
  // target writes both and no helper command that would fetch the key.
  bool via_gateway = false;
};

// One file the export replaces.
struct FileChange {
  std::filesystem::path path;
  std::optional<std::string> before;  // nullopt: the file does not exist yet
  std::string after;
  bool secret = false;  // `after` holds the secret: 0600 (WriteOptions)
  // Where in the file the secret is, for the copy keywarden records of it
  // (docs/copies.md): "dotenv:NAME" or "json:/JSON/pointer"; empty when the
  // file holds no secret.
  std::string key_field = {};
};

// Move-only; wipes every text that may hold the secret when destroyed.
struct Plan {
  Plan() = default;
  Plan(Plan&&) = default;
  Plan& operator=(Plan&&) = default;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  ~Plan();

  std::vector<FileChange> files;      // written in this order: secret files first
  std::string stdout_text;            // printed as is (the shell target)
  std::vector<std::string> warnings;  // printed before writing, and on a dry run
  std::vector<std::string> notes;     // next steps, printed as hints after writing
};

using PlanFunction = Result<Plan> (*)(const Request&);

struct Target {
  std::string_view name;  // the --to value
  PlanFunction plan;
};

// Every target, in the order the help text lists them.
const std::vector<Target>& Targets();
const Target* FindTarget(std::string_view name);

Result<Plan> PlanCline(const Request& request);
Result<Plan> PlanContinue(const Request& request);
Result<Plan> PlanRoo(const Request& request);
Result<Plan> PlanClaudeCode(const Request& request);
Result<Plan> PlanCodex(const Request& request);
Result<Plan> PlanGeminiCli(const Request& request);
Result<Plan> PlanDotenv(const Request& request);
Result<Plan> PlanShell(const Request& request);

}  // namespace keywarden::cli::exporting
