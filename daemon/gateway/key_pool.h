// The gateway's choice of key (docs/gateway.md "Key choice"): among a
// token's slots for a route, the current versions that are usable and
// checked `ok` for the requested model, in turn; cooled-down keys last.
//
// No database read and no unseal per request: each owner's env is read
// once, its usable keys unsealed into secure memory, and kept until the
// store's Generation() moves (a slot, version or check changed) or the
// daemon is sealed. Event-loop thread only. Not copyable.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "gateway/routes.h"
#include "keys/keyring.h"
#include "keywarden/config.h"
#include "keywarden/providers.h"
#include "keywarden/secret.h"
#include "keywarden/slot_store.h"

namespace keywarden::gateway {

// At most this many keys are tried for one request.
inline constexpr size_t kMaxTries = 3;

// One key the gateway may send.
struct Candidate {
  std::shared_ptr<const Slot> slot;  // as read, with all its versions
  int version = 0;
  int64_t version_id = 0;
  std::string fingerprint;
  std::string base_url;  // the slot's endpoint, resolved with the config
  std::shared_ptr<const SecretBuffer> secret;
};

struct Choice {
  // The keys to try, in order (at most kMaxTries); empty: refused.
  std::vector<std::shared_ptr<const Candidate>> order;
  int status = 403;     // when refused
  std::string message;  // when refused: starts "keywarden: "
};

// The slots of one token scope the gateway may consider (the token's env,
// owner, and slot list: empty means every slot of env).
struct Scope {
  uint32_t owner_uid = 0;
  std::string env;
  std::vector<std::string> slots;
};

class KeyPool {
 public:
  KeyPool(SlotStore& store, const std::optional<Keyring>& keyring, const Config& config,
          const Catalogue& catalogue);
  KeyPool(const KeyPool&) = delete;
  KeyPool& operator=(const KeyPool&) = delete;

  // The keys for `route` and `model` ("" for a request naming none: every
  // usable key) among `scope`'s slots at `now`.
  Choice Choose(const Scope& scope, const Route& route, const std::string& model, int64_t now);
  // Skips the version's key while others exist, until `until`.
  void CoolDown(int64_t version_id, int64_t until) { cooled_[version_id] = until; }
  // Forgets every key now (wiped), e.g. when the daemon is sealed.
  void Clear();
  size_t cached_envs() const { return envs_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const Slot> slot;
    std::string unusable;                        // why not usable; "" when usable
    std::shared_ptr<const Candidate> candidate;  // when usable
  };
  using EnvKey = std::pair<uint32_t, std::string>;

  // The env's slots, read and unsealed once per generation.
  const std::vector<Entry>* Load(const EnvKey& key, std::string* error);
  bool Matches(const Slot& slot, const Route& route, const std::string& route_url) const;

  SlotStore& store_;
  const std::optional<Keyring>& keyring_;
  const Config& config_;
  const Catalogue& catalogue_;
  uint64_t generation_ = 0;
  std::map<EnvKey, std::vector<Entry>> envs_;
  std::map<int64_t, int64_t> cooled_;     // version id -> until (unix seconds)
  std::map<std::string, uint64_t> turn_;  // route and model -> requests so far
};

}  // namespace keywarden::gateway
