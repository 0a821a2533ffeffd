// What the export targets share: where tools keep their files, how the
// verified endpoint compares with a tool's default, keywarden's own entry
// names, and the errors a target reports.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "export/jsonc.h"
#include "export/target.h"

namespace keywarden::cli::exporting {

// $HOME, else the password database's home directory.
std::filesystem::path HomeDir();
// $var when set and not empty, else `fallback`.
std::filesystem::path DirFromEnv(const char* var, const std::filesystem::path& fallback);
// $XDG_CONFIG_HOME, else ~/.config.
std::filesystem::path ConfigHome();

// True when the slot's base URL is the built-in default of its provider's
// default endpoint, so a tool that knows the provider needs no base URL.
// False for a named endpoint such as Mistral's codestral, a custom URL, or
// an endpoint overridden in config.json.
bool IsDefaultEndpoint(const Slot& slot);
// `url` without a trailing "/" and then without `suffix` ("/v1"), for tools
// whose SDK appends the version path itself.
std::string TrimSuffix(std::string_view url, std::string_view suffix);

// "keywarden-ENV-NAME": the name of keywarden's own profile or model entry.
std::string EntryName(const Slot& slot);
// "KEYWARDEN_ENV_NAME": a variable name unique to the slot.
std::string SlotVarName(const Slot& slot);

// FileChange::key_field of a dotenv variable and of a JSON member (object
// keys from the root, written as a JSON pointer).
std::string DotenvField(std::string_view name);
std::string JsonField(const std::vector<std::string>& path);
// One member name as a JSON pointer step: "/" and the name, "~" as "~0"
// and "/" as "~1" (RFC 6901).
std::string JsonPointerStep(std::string_view key);
// The variable an SDK reads the slot's base URL from: OPENAI_BASE_URL,
// ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL; for the others the key
// variable with _API_KEY made _BASE_URL (OPENROUTER_BASE_URL).
std::string BaseUrlVar(const Slot& slot);

// The request's --path, else `fallback`.
std::filesystem::path TargetPath(const Request& request, const std::filesystem::path& fallback);

// "cannot parse FILE: DETAIL" (DETAIL names the line), with a hint that
// nothing was changed.
Error ParseFailure(const std::filesystem::path& file, std::string_view detail);
// "cannot update FILE: DETAIL": the file parses but keywarden's entry
// cannot be placed in it (say, a member that should be an object is not).
Error EditFailure(const std::filesystem::path& file, std::string_view detail);

// ParseFailure for a kInvalidArgument `error` (the text does not parse),
// else EditFailure.
Error FileFailure(const std::filesystem::path& file, const Error& error);

// Parses a JSON (or, with `comments`, JSONC) file's current bytes; a
// missing or blank file counts as an empty object. A file that does not
// parse, or whose top level is not an object, is a ParseFailure.
Result<JsoncDocument> LoadJson(const std::filesystem::path& file,
                               const std::optional<std::string>& before, bool comments);

// `target` cannot use a key of the slot's provider.
Error UnsupportedProvider(std::string_view target, const Slot& slot, std::string_view supported);

// `word` quoted for /bin/sh when it needs it.
std::string ShellQuote(std::string_view word);
// argv joined into one /bin/sh command line.
std::string ShellCommand(const std::vector<std::string>& argv);

// Now, as "2026-11-21T10:00:00.000Z".
std::string NowIso8601();

}  // namespace keywarden::cli::exporting
