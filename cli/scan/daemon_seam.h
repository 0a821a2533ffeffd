// The two daemon methods scan and import use, each behind one function:
// key.identify (which of the caller's own slots and versions hold a
// secret) and copy.record (a file now holds a copy of a slot's version).
// A daemon without a method answers "unknown method"; these then return
// nullopt (or false) and the verbs say that the answer is missing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/client.h"
#include "keywarden/messages_copies.h"
#include "keywarden/status.h"

namespace keywarden::cli::scan {

// One slot version that holds the secret asked about (key.identify's match).
using Identity = KeyMatchObject;

// key.identify {secret} → the caller's own slot versions holding it, empty
// when keywarden does not know the key. The secret travels as the request's
// secret parameter (never logged). nullopt: the daemon is older and has no
// key.identify.
Result<std::optional<std::vector<Identity>>> IdentifyKey(Client& client, std::string_view secret);

// What a find is to keywarden: "current of dev/openrouter", "retired v1 of
// dev/openrouter", "revoked v2 of dev/openrouter", "unknown". Several
// identities are joined with "; ".
std::string Describe(const std::vector<Identity>& identities);

// The environments of the identities' refs ("dev", "prod"), sorted, unique.
std::vector<std::string> Environments(const std::vector<Identity>& identities);

// copy.record {ref, version, target, path, field, model}: `path`
// (absolute) holds version `version` of `ref` at `field` ("dotenv:NAME",
// "json:/pointer"), for the tool `target`. false: the daemon has no
// copy.record.
Result<bool> RecordCopy(Client& client, const std::string& ref, int64_t version,
                        std::string_view target, const std::filesystem::path& path,
                        std::string_view field, std::string_view model);

}  // namespace keywarden::cli::scan
