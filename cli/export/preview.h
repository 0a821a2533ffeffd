// What `keywarden export --dry-run` prints: each file's change as a unified
// diff, with every occurrence of the secret masked.
#pragma once

#include <string>
#include <string_view>

#include "export/target.h"

namespace keywarden::cli::exporting {

// `text` with each occurrence of `secret` replaced by its mask
// ("sk-or-v1-…cdef", keyformat.h MaskKey).
std::string MaskSecret(std::string_view text, std::string_view secret);

// A unified diff (3 lines of context) from change.before to change.after,
// masked; "(no change)" when they are equal.
std::string DescribeChange(const FileChange& change, std::string_view secret);

}  // namespace keywarden::cli::exporting
