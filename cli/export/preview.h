// What `keywarden export --dry-run` prints: each file's change as a unified
// diff, with every secret in it masked: the key being exported, and any
// other key the file holds (the previous key, other providers' keys).
#pragma once

#include <string>
#include <string_view>

#include "export/target.h"

namespace keywarden::cli::exporting {

// `text` with each occurrence of `secret` replaced by its mask
// ("sk-or-v1-…cdef", keyformat.h MaskKey).
std::string MaskSecret(std::string_view text, std::string_view secret);

// `text` with every secret it seems to hold masked: each occurrence of
// `secret`, the value given to any name that ends in "key", "token",
// "secret" or "password" (dotenv, shell, JSON, YAML and TOML shapes; a
// `${…}` reference is not a secret), and any word shaped like a key (a
// known key prefix, or 24 or more letters and digits mixed, as Mistral's
// keys are) wherever it stands.
std::string MaskSecrets(std::string_view text, std::string_view secret);

// A unified diff (3 lines of context) from change.before to change.after,
// both masked with MaskSecrets; "(no change)" when they are equal.
std::string DescribeChange(const FileChange& change, std::string_view secret);

}  // namespace keywarden::cli::exporting
