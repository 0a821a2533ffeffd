// copy.record, copy.list, copy.forget and key.identify (see
// keywarden/messages.h; docs/copies.md): the daemon's records of the files
// that hold copies of exported keys, and which of the caller's own slot
// versions a key found in a file is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/messages.h"
#include "keywarden/secret.h"
#include "keywarden/slot.h"

namespace keywarden {

// A copy as the daemon records it. `recorded` is what the records say,
// without reading the file: `current` (recorded with the current version),
// `stale` (an older version whose secret still exists) or `revoked` (a
// revoked or destroyed version).
struct CopyObject {
  std::string ref;
  std::string target;
  std::string path;
  std::string field;  // dotenv:NAME or json:/pointer
  std::string model;
  int64_t version = 0;
  std::string version_state;  // pending, verified, failed, retired, revoked
  bool destroyed = false;
  std::optional<int64_t> current_version;
  std::string recorded;
  std::string recorded_at;  // RFC 3339
};

struct CopyRecordResult {
  CopyObject copy;
};

struct CopyRecordParams {
  static constexpr std::string_view kMethod = "copy.record";
  static constexpr std::array<std::string_view, 6> kFields = {"ref",   "target", "path",
                                                              "field", "model",  "version"};
  using Reply = CopyRecordResult;
  std::string ref;
  std::string target;
  std::string path;  // absolute
  std::string field;
  std::string model;
  int64_t version = 0;
};

struct CopyListResult {
  std::vector<CopyObject> copies;
};

struct CopyListParams {
  static constexpr std::string_view kMethod = "copy.list";
  static constexpr std::array<std::string_view, 1> kFields = {"ref"};
  using Reply = CopyListResult;
  std::optional<std::string> ref;  // every slot of the caller's when absent
};

struct CopyForgetResult {
  int64_t forgotten = 0;
};

struct CopyForgetParams {
  static constexpr std::string_view kMethod = "copy.forget";
  static constexpr std::array<std::string_view, 2> kFields = {"ref", "path"};
  using Reply = CopyForgetResult;
  std::string ref;
  std::string path;
};

struct KeyMatchObject {
  std::string ref;
  int64_t version = 0;
  std::string state;
  bool current = false;
  bool destroyed = false;
};

struct IdentifyKeyResult {
  std::vector<KeyMatchObject> matches;  // empty: not a key of the caller's
};

struct IdentifyKeyParams {
  static constexpr std::string_view kMethod = "key.identify";
  static constexpr std::array<std::string_view, 1> kFields = {"secret"};
  using Reply = IdentifyKeyResult;
  SecretBuffer secret;
};

Status Decode(Json& params, CopyRecordParams* out);
Json Encode(const CopyRecordParams& params);
Status Decode(const Json& result, CopyRecordResult* out);
Json Encode(const CopyRecordResult& result);

Status Decode(Json& params, CopyListParams* out);
Json Encode(const CopyListParams& params);
Status Decode(const Json& result, CopyListResult* out);
Json Encode(const CopyListResult& result);

Status Decode(Json& params, CopyForgetParams* out);
Json Encode(const CopyForgetParams& params);
Status Decode(const Json& result, CopyForgetResult* out);
Json Encode(const CopyForgetResult& result);

Status Decode(Json& params, IdentifyKeyParams* out);
Json Encode(const IdentifyKeyParams& params);
std::vector<SecretParam> SecretsOf(const IdentifyKeyParams& params);
Status Decode(const Json& result, IdentifyKeyResult* out);
Json Encode(const IdentifyKeyResult& result);

// One copy as JSON (the element of copy.list's `copies`).
Json EncodeCopy(const CopyObject& copy);

}  // namespace keywarden
