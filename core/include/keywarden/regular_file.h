// Reading a file that keywarden is pointed at (config.json, a CA file)
// without trusting what sits at the path: a FIFO, device, socket or
// directory in its place is refused at once instead of blocking the reader.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "keywarden/status.h"

namespace keywarden {

// Reads all of `file`. It is opened read-only, close-on-exec, with
// O_NONBLOCK and O_NOCTTY (opening a FIFO neither waits for a writer nor
// reads from one) and must then be a regular file (fstat on the open file,
// so nothing can be swapped in between). A final symlink is followed: these
// paths are the user's to choose. `what` names the file in errors, e.g.
// "validation.ca_file /etc/x.pem is a FIFO, not a regular file".
// kNotFound if it does not exist; kInvalidArgument if it is not a regular
// file or is larger than `max_bytes`; kPermissionDenied or kIo otherwise.
Result<std::string> ReadRegularFile(const std::filesystem::path& file, std::string_view what,
                                    size_t max_bytes);

// "a FIFO", "a directory", "a socket", "a character device", ... for an
// st_mode that is not a regular file's.
std::string_view FileTypeName(unsigned mode);

}  // namespace keywarden
