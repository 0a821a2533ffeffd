// The CLI's small command registry: each verb lives in its own file and
// registers a CLI11 subcommand plus the function that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "keywarden/client.h"
#include "keywarden/status.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

// Options every verb shares.
// Each goes before or after the verb (`keywarden --json list`, `keywarden
// list --json`).
struct Globals {
  std::string home;    // --home / KEYWARDEN_HOME
  std::string socket;  // --socket / KEYWARDEN_SOCKET
  bool json = false;   // --json: a verb's own --json does the same
};

// Exit codes of DESIGN.md "CLI".
enum Exit : int {
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  kExitNotUsable = 3,
  kExitNotFound = 4,
  kExitUnreachable = 5,
};

using Runner = std::function<int()>;
// Adds a subcommand to `app`; when it is chosen, stores its action in *run.
using Registrar = void (*)(CLI::App& app, const Globals& globals, Runner* run);

void RegisterAdd(CLI::App&, const Globals&, Runner*);
void RegisterList(CLI::App&, const Globals&, Runner*);
void RegisterShow(CLI::App&, const Globals&, Runner*);
void RegisterSet(CLI::App&, const Globals&, Runner*);
void RegisterGet(CLI::App&, const Globals&, Runner*);
void RegisterRemove(CLI::App&, const Globals&, Runner*);
void RegisterStatus(CLI::App&, const Globals&, Runner*);
void RegisterProviders(CLI::App&, const Globals&, Runner*);
void RegisterEvents(CLI::App&, const Globals&, Runner*);
void RegisterValidate(CLI::App&, const Globals&, Runner*);
void RegisterCheck(CLI::App&, const Globals&, Runner*);
void RegisterRotate(CLI::App&, const Globals&, Runner*);
void RegisterRollback(CLI::App&, const Globals&, Runner*);
void RegisterRevoke(CLI::App&, const Globals&, Runner*);
void RegisterReminders(CLI::App&, const Globals&, Runner*);
void RegisterUnlock(CLI::App&, const Globals&, Runner*);
void RegisterSeal(CLI::App&, const Globals&, Runner*);
void RegisterRekey(CLI::App&, const Globals&, Runner*);
void RegisterExport(CLI::App&, const Globals&, Runner*);
void RegisterExec(CLI::App&, const Globals&, Runner*);
void RegisterCopies(CLI::App&, const Globals&, Runner*);
void RegisterSync(CLI::App&, const Globals&, Runner*);
void RegisterScan(CLI::App&, const Globals&, Runner*);
void RegisterImport(CLI::App&, const Globals&, Runner*);
void RegisterToken(CLI::App&, const Globals&, Runner*);

// Where export keeps the previous version of each file it replaces: the
// user's state directory (as for the daemon in user mode, or --home) plus
// "backups", never a project tree.
Result<std::filesystem::path> BackupDirectory(const Globals& globals);

// Connects to the daemon named by the globals, environment or defaults,
// refusing a socket served by an untrusted uid (Client::CheckServer) before
// anything is sent; each call then waits at most `timeout` for its reply.
Result<Client> ConnectDaemon(const Globals& globals,
                             std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Polls the slot until `version` (its newest when 0) leaves `pending` or
// `timeout` passes, showing progress on a terminal. Prints the outcome;
// returns 0 if that version verified and the slot is usable, 3 if not
// (failed, or still pending at the timeout).
// `owner`: the uid of another owner's slot (an admin's --owner), or null.
// With no `timeout`, DefaultWaitTimeout of the slot's provider. Returns 3
// early, with the diagnosis, when waiting cannot change the outcome.
int WaitUntilSettled(Client& client, const std::string& ref,
                     std::optional<std::chrono::seconds> timeout, int version = 0,
                     std::optional<uint32_t> owner = std::nullopt);
// What --wait allows beyond a provider's activation window.
inline constexpr int64_t kWaitMargin = 60;
// The default --timeout of a wait: the provider's activation window (10
// minutes for Mistral) plus kWaitMargin, and at least 2 minutes.
std::chrono::seconds DefaultWaitTimeout(std::string_view provider);

// CLI11 checks, so that a malformed argument is a usage error (exit 2)
// before anything is sent. RefSyntax: ENV/NAME (or a bare NAME, for the
// daemon's default environment), each ref of a comma list when `list`;
// DurationSyntax: "90s", "2m", "7d".
CLI::Validator RefSyntax(bool list = false);
CLI::Validator DurationSyntax();

// Adds --yes/-y to a destructive verb.
void AddYesOption(CLI::App* cmd, bool* yes);
// The gate of a destructive verb (rm, revoke): goes on (returns nullopt)
// with `yes`; on a terminal, prints what `describe` says stops working and
// asks `question` [y/N]; without a terminal on stdin, refuses with a usage
// error naming --yes. Otherwise returns the exit code, after saying why.
std::optional<int> Confirm(bool yes, std::string_view verb, std::string_view question,
                           const std::function<Result<std::string>()>& describe);

// Adds --owner USER to a verb that names slots. A ref names a slot of the
// caller's own; root and members of keywarden-admin name another user's
// slot (or list only that user's) with --owner.
void AddOwnerOption(CLI::App* cmd, std::string* owner);
// The uid of `owner` (a user name or a uid) for params.owner; nullopt when
// `owner` is empty. kInvalidArgument for an unknown user.
Result<std::optional<uint32_t>> OwnerUid(const std::string& owner);

// Parses a --timeout style duration ("90s", "2m"); exits with usage on error.
std::optional<std::chrono::seconds> ParseTimeout(const std::string& text);

// Prints `error` as "keywarden: error: …" / "keywarden: hint: …" and
// returns the exit code for its code.
int Report(const Error& error);
int ExitCodeFor(ErrorCode code);

// Calls P's method and hands the decoded result (and the result as it
// came) to `print`, or prints the result as it came with `json`; errors
// are reported, and a result not of P::Reply's shape is an unexpected
// reply. The shape most read-only verbs share.
template <class P>
int CallAndPrint(const Globals& globals, const P& params, bool json,
                 const std::function<void(const typename P::Reply&, const Json&)>& print) {
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Json raw;
  Result<typename P::Reply> result = CallTyped(*client, params, &raw);
  if (!result) return Report(result.error());
  json ? PrintJson(raw) : print(*result, raw);
  return kExitOk;
}

// Makes this process undumpable and its (soft) core file limit 0, so that
// no core dump or ptrace by another process of the user reads a key it
// holds. execve makes a program dumpable again; RestoreCoreLimit gives it
// back the core file limit the CLI was started with.
void HardenProcess();
void RestoreCoreLimit();

// Runs the CLI; returns the process exit code.
int Main(int argc, char** argv);

}  // namespace keywarden::cli
