// unlock, seal and rekey (see keywarden/messages.h). Passphrases are
// secrets: never in a Json copy.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keywarden/messages.h"
#include "keywarden/secret.h"

namespace keywarden {

struct UnlockResult;
struct UnlockParams {
  static constexpr std::string_view kMethod = "unlock";
  static constexpr std::array<std::string_view, 2> kFields = {"passphrase", "create"};
  using Reply = UnlockResult;
  SecretBuffer passphrase;  // empty when absent (the daemon refuses that)
  bool create = false;
};

struct UnlockResult {
  bool sealed = false;
  bool created = false;
  bool upgraded = false;  // KDF parameters raised
  bool already = false;   // was unlocked
};

struct SealResult;
struct SealParams {
  static constexpr std::string_view kMethod = "seal";
  static constexpr std::array<std::string_view, 0> kFields = {};
  using Reply = SealResult;
};

struct SealResult {
  bool sealed = true;
};

struct RekeyResult;
// Passphrase mode: both passphrases; file mode: neither (both empty).
struct RekeyParams {
  static constexpr std::string_view kMethod = "rekey";
  static constexpr std::array<std::string_view, 2> kFields = {"passphrase", "new_passphrase"};
  using Reply = RekeyResult;
  SecretBuffer passphrase;
  SecretBuffer new_passphrase;
};

struct RekeyResult {
  std::string master_key;           // where the key now comes from
  std::optional<std::string> file;  // file mode: the new key file
};

Status Decode(Json& params, UnlockParams* out);
Json Encode(const UnlockParams& params);
std::vector<SecretParam> SecretsOf(const UnlockParams& params);
Status Decode(const Json& result, UnlockResult* out);
Json Encode(const UnlockResult& result);

Status Decode(Json& params, SealParams* out);
Json Encode(const SealParams& params);
Status Decode(const Json& result, SealResult* out);
Json Encode(const SealResult& result);

Status Decode(Json& params, RekeyParams* out);
Json Encode(const RekeyParams& params);
// Only the non-empty passphrases.
std::vector<SecretParam> SecretsOf(const RekeyParams& params);
Status Decode(const Json& result, RekeyResult* out);
Json Encode(const RekeyResult& result);

}  // namespace keywarden
