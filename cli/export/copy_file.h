// Reading and replacing the key at a recorded place in a file
// (docs/copies.md): the FileChange::key_field of the export that wrote it,
// "dotenv:NAME" or "json:/JSON/pointer". `keywarden copies` reads with it;
// `keywarden sync` replaces with the same editors as export, so every other
// byte of the file stays.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keywarden/status.h"

namespace keywarden::cli::exporting {

// The key at `field` in `text`; nullopt when the file holds no such entry
// (or a JSON member there is not a string). kInvalidArgument when `text`
// does not parse, or `field` is of no known kind.
Result<std::optional<std::string>> ReadKeyField(std::string_view text, std::string_view field);

// `text` with the key at `field` set to `secret` (an entry that is gone is
// added back). kInvalidArgument as ReadKeyField.
Result<std::string> ReplaceKeyField(std::string_view text, std::string_view field,
                                    std::string_view secret);

}  // namespace keywarden::cli::exporting
