// The typed protocol messages (keywarden/messages*.h): every params and
// result struct against its wire form in docs/protocol.md, and the errors
// each bad member gives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keywarden/messages_copies.h"
#include "keywarden/messages_rotation.h"
#include "keywarden/messages_slots.h"
#include "keywarden/messages_status.h"
#include "keywarden/messages_tokens.h"
#include "keywarden/messages_vault.h"

namespace keywarden {
namespace {

const std::string kSecret = "sk-or-v1-0123456789abcdef";

// `params` sent as the client sends it (secrets through
// EncodeSecretRequest, as Client::Call does) and parsed as the daemon
// parses it; then decoded.
template <class P>
P OverTheWire(const P& params) {
  std::vector<SecretParam> secrets;
  if constexpr (requires { SecretsOf(params); }) secrets = SecretsOf(params);
  std::string line = EncodeRequest(7, P::kMethod, Encode(params));
  if (!secrets.empty()) {
    Result<SecretBuffer> secret_line = EncodeSecretRequest(7, P::kMethod, Encode(params), secrets);
    if (!secret_line) {
      ADD_FAILURE() << secret_line.error().message;
      return P{};
    }
    line = std::string(secret_line->view());
  }
  line.pop_back();  // the newline
  Json id;
  Result<Request> request = ParseRequest(line, &id);
  if (!request) {
    ADD_FAILURE() << P::kMethod << ": " << request.error().message;
    return P{};
  }
  EXPECT_EQ(request->method, P::kMethod);
  Result<P> decoded = DecodeParams<P>(request->params);
  if (!decoded) {
    ADD_FAILURE() << P::kMethod << ": " << decoded.error().message;
    return P{};
  }
  return std::move(*decoded);
}

// Encodes `params`, checks the wire form (secrets aside) against `wire`,
// and returns what the daemon decodes from it.
template <class P>
P ParamsRoundTrip(const P& params, const Json& wire) {
  EXPECT_EQ(Encode(params), wire) << P::kMethod;
  P back = OverTheWire(params);
  EXPECT_EQ(Encode(back), wire) << P::kMethod;
  return back;
}

// Encodes `result`, checks it against `wire`, and decodes it back.
template <class R>
R ResultRoundTrip(const R& result, const Json& wire) {
  EXPECT_EQ(Encode(result), wire);
  Result<R> back = DecodeResult<R>(Json::parse(wire.dump()));
  EXPECT_TRUE(back) << back.error().message;
  if (!back) return R{};
  EXPECT_EQ(Encode(*back), wire);
  return std::move(*back);
}

// A slot object as docs/protocol.md gives it, and the summary slot.list
// sends for a table.
const Json kSlot = Json::parse(R"({
  "ref": "dev/openrouter", "env": "dev", "name": "openrouter", "provider": "openrouter",
  "endpoint": "default", "models": ["a/b", "c/d"], "probe": "complete", "usable": true,
  "state": "pending", "current_version": 1, "pending_version": 2,
  "rotation": {"rotate_every": 7776000, "remind_before": 604800, "grace": 604800},
  "rotation_due_at": "2027-02-01T10:00:00Z", "reminder_due": false, "owner_uid": 1000,
  "created_at": "2026-11-01T10:00:00Z",
  "versions": [
    {"version": 1, "state": "verified", "fingerprint": "sk-or-v1-…cdef",
     "created_at": "2026-11-01T10:00:00Z", "verified_at": "2026-11-01T10:00:05Z",
     "next_check_at": null, "billed_probes": 2,
     "checks": [{"model": "a/b", "outcome": "ok", "http_status": 200, "detail": "",
                 "checked_at": "2026-11-01T10:00:05Z"}],
     "diagnoses": []},
    {"version": 2, "state": "pending", "fingerprint": "sk-or-v1-…0123",
     "created_at": "2026-11-02T10:00:00Z", "verified_at": null,
     "next_check_at": "2026-11-02T10:01:00Z", "billed_probes": 0,
     "checks": [{"model": "", "outcome": "auth_failed", "http_status": 401,
                 "detail": "not active yet", "checked_at": "2026-11-02T10:00:01Z"}],
     "diagnoses": [{"code": "not_yet_active", "message": "re-checked at 10:01"}]}],
  "diagnoses": [{"code": "not_yet_active", "message": "re-checked at 10:01"}]})");
const Json kSummary = {{"ref", "dev/o"},       {"provider", "openrouter"}, {"endpoint", "default"},
                       {"models", {"a/b"}},    {"state", "verified"},      {"usable", true},
                       {"current_version", 1}, {"owner_uid", 1000}};

// kSlot with the member at `pointer` replaced.
Json With(const std::string& pointer, const Json& value) {
  Json slot = kSlot;
  slot[Json::json_pointer(pointer)] = value;
  return slot;
}

SlotObject SlotOf(const Json& wire) {
  SlotObject slot;
  Status ok = Decode(wire, "slot", &slot);
  EXPECT_TRUE(ok) << ok.error().message;
  return slot;
}

TEST(MessagesTest, StatusRoundTrips) {
  StatusParams params{1001};
  EXPECT_EQ(ParamsRoundTrip(params, {{"owner", 1001}}).owner, 1001u);
  EXPECT_FALSE(ParamsRoundTrip(StatusParams{}, Json::object()).owner);

  StatusResult sealed{"0.1.0",      1,           42,           "user",
                      true,         9,           1000,         "/h/keywarden.db",
                      "/h/s.sock",  "file",      std::nullopt, std::nullopt,
                      std::nullopt, std::nullopt};
  const Json sealed_wire = {
      {"version", "0.1.0"},   {"protocol", 1},           {"pid", 42},
      {"mode", "user"},       {"sealed", true},          {"uptime_s", 9},
      {"peer_uid", 1000},     {"db", "/h/keywarden.db"}, {"socket", "/h/s.sock"},
      {"master_key", "file"}, {"gateway_url", nullptr}};
  StatusResult back = ResultRoundTrip(sealed, sealed_wire);
  EXPECT_FALSE(back.disk);
  EXPECT_FALSE(back.counts);
  EXPECT_FALSE(back.config_file);
  EXPECT_FALSE(back.gateway_url);

  StatusResult full = sealed;
  full.sealed = false;
  full.config_file = "/h/config.json";
  full.gateway_url = "http://127.0.0.1:7878";
  full.disk = DiskStatus{30, 20, 10, std::nullopt,
                         ReserveStatus{"/h/reserve", "held", 4096, 4096, std::nullopt, "ok"}};
  full.counts = SlotCounts{2, {{"verified", 2}}, "2026-12-07T10:00:00Z", std::nullopt};
  Json full_wire = sealed_wire;
  full_wire["sealed"] = false;
  full_wire["config_file"] = "/h/config.json";
  full_wire["gateway_url"] = "http://127.0.0.1:7878";
  full_wire["db_bytes"] = 30;
  full_wire["db_file_bytes"] = 20;
  full_wire["db_wal_bytes"] = 10;
  full_wire["disk_free_bytes"] = nullptr;
  full_wire["reserve"] = {
      {"file", "/h/reserve"}, {"state", "held"}, {"bytes", 4096}, {"size", 4096}, {"detail", "ok"}};
  full_wire["slots"] = 2;
  full_wire["versions_by_state"] = {{"verified", 2}};
  full_wire["next_check_at"] = "2026-12-07T10:00:00Z";
  full_wire["next_scheduled_at"] = nullptr;
  back = ResultRoundTrip(full, full_wire);
  ASSERT_TRUE(back.disk && back.disk->reserve && back.counts);
  EXPECT_EQ(back.disk->reserve->detail, "ok");
  EXPECT_EQ(back.counts->versions_by_state.at("verified"), 2);
  EXPECT_EQ(back.config_file, "/h/config.json");
  EXPECT_EQ(back.gateway_url, "http://127.0.0.1:7878");
}

TEST(MessagesTest, ProvidersRoundTrip) {
  ParamsRoundTrip(ProvidersParams{}, Json::object());
  ProvidersResult result{{{"mistral",
                           "Mistral",
                           "MISTRAL_API_KEY",
                           "^[A-Za-z0-9]{32}$",
                           "32 letters and digits",
                           {{"general", "https://api.mistral.ai/v1"}},
                           "general",
                           false,
                           600}}};
  ProvidersResult back =
      ResultRoundTrip(result, {{"providers",
                                {{{"id", "mistral"},
                                  {"name", "Mistral"},
                                  {"env_var", "MISTRAL_API_KEY"},
                                  {"key_pattern", "^[A-Za-z0-9]{32}$"},
                                  {"key_example", "32 letters and digits"},
                                  {"endpoints", {{"general", "https://api.mistral.ai/v1"}}},
                                  {"default_endpoint", "general"},
                                  {"custom_url", false},
                                  {"activation_window_s", 600}}}}});
  ASSERT_EQ(back.providers.size(), 1u);
  EXPECT_EQ(back.providers[0].endpoints.at("general"), "https://api.mistral.ai/v1");
}

TEST(MessagesTest, EventsRoundTrip) {
  EventsParams params{"dev/x", "7d", 0};
  EventsParams back = ParamsRoundTrip(params, {{"ref", "dev/x"}, {"since", "7d"}, {"owner", 0}});
  EXPECT_EQ(back.since, "7d");
  EXPECT_EQ(back.owner, 0u);

  Event single{3, 1796637600, 1000, 1000, "get", "dev/x", 2, "sk-…cdef", "", std::nullopt};
  Event folded{4, 1796601600, 1000, std::nullopt, "get", "dev/x", 2, "", "", 12};
  EventsResult result{{single, folded}};
  EventsResult decoded = ResultRoundTrip(result, {{"events",
                                                   {{{"id", 3},
                                                     {"at", "2026-12-07T10:00:00Z"},
                                                     {"uid", 1000},
                                                     {"owner_uid", 1000},
                                                     {"action", "get"},
                                                     {"ref", "dev/x"},
                                                     {"version", 2},
                                                     {"fingerprint", "sk-…cdef"},
                                                     {"detail", ""},
                                                     {"count", 1},
                                                     {"aggregated", false}},
                                                    {{"id", 4},
                                                     {"at", "2026-12-07T00:00:00Z"},
                                                     {"uid", 1000},
                                                     {"owner_uid", nullptr},
                                                     {"action", "get"},
                                                     {"ref", "dev/x"},
                                                     {"version", 2},
                                                     {"fingerprint", ""},
                                                     {"detail", ""},
                                                     {"count", 12},
                                                     {"aggregated", true}}}}});
  ASSERT_EQ(decoded.events.size(), 2u);
  EXPECT_EQ(decoded.events[0].at, 1796637600);
  EXPECT_FALSE(decoded.events[0].count);
  EXPECT_EQ(decoded.events[1].count, 12);
}

TEST(MessagesTest, AddSlotRoundTripsWithItsSecretOutsideTheJson) {
  AddSlotParams params;
  params.ref = "dev/x";
  params.provider = "openrouter";
  params.models = {"a/b", "c/d"};
  params.secret = SecretBuffer::Copy(kSecret);
  params.endpoint = "default";
  params.probe = "list";
  params.rotate_every = "90d";
  params.remind_before = "7d";
  params.grace = "1d";
  const Json wire = {{"ref", "dev/x"},           {"provider", "openrouter"},
                     {"models", {"a/b", "c/d"}}, {"endpoint", "default"},
                     {"probe", "list"},          {"rotate_every", "90d"},
                     {"remind_before", "7d"},    {"grace", "1d"}};
  AddSlotParams back = ParamsRoundTrip(params, wire);
  EXPECT_EQ(back.secret.view(), kSecret);
  EXPECT_EQ(back.models, params.models);

  AddSlotResult result{SlotOf(kSlot), {{"key_whitespace", "the key had spaces"}}};
  AddSlotResult decoded = ResultRoundTrip(
      result, {{"slot", kSlot},
               {"warnings", {{{"code", "key_whitespace"}, {"message", "the key had spaces"}}}}});
  EXPECT_EQ(decoded.warnings, result.warnings);
}

TEST(MessagesTest, DecodingTakesTheSecretAndWipesTheJsonString) {
  Json params = {{"ref", "dev/x"}, {"provider", "p"}, {"models", {"m"}}, {"secret", kSecret}};
  Result<AddSlotParams> decoded = DecodeParams<AddSlotParams>(params);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->secret.view(), kSecret);
  EXPECT_EQ(params["secret"].get<std::string>().find("sk-or"), std::string::npos);
  // Refused for another member: the secret was taken first all the same.
  Json refused = {{"ref", 5}, {"secret", kSecret}};
  EXPECT_FALSE(DecodeParams<RotateParams>(refused));
  EXPECT_EQ(refused["secret"].get<std::string>().find("sk-or"), std::string::npos);
}

TEST(MessagesTest, SlotListShowRemoveAndValidateRoundTrip) {
  ListSlotsParams list{"dev", true, 7};
  ListSlotsParams list_back =
      ParamsRoundTrip(list, {{"env", "dev"}, {"summary", true}, {"owner", 7}});
  EXPECT_TRUE(list_back.summary);
  EXPECT_EQ(ResultRoundTrip(ListSlotsResult{{SlotOf(kSlot), SlotOf(kSummary)}},
                            {{"slots", {kSlot, kSummary}}})
                .slots.size(),
            2u);

  EXPECT_EQ(ParamsRoundTrip(ShowSlotParams{"dev/x", std::nullopt}, {{"ref", "dev/x"}}).ref,
            "dev/x");
  SlotObject shown = ResultRoundTrip(SlotResult{SlotOf(kSlot)}, {{"slot", kSlot}}).slot;
  EXPECT_EQ(shown.ref, "dev/openrouter");
  EXPECT_FALSE(shown.summary);
  ASSERT_EQ(shown.versions.size(), 2u);
  EXPECT_EQ(shown.versions[1].state, VersionState::kPending);
  EXPECT_EQ(shown.versions[1].checks.at(0).outcome, Outcome::kAuthFailed);
  EXPECT_EQ(shown.FindVersion(0), &shown.versions[1]);
  EXPECT_EQ(shown.rotation.rotate_every, 7776000);
  EXPECT_TRUE(SlotOf(kSummary).summary);

  EXPECT_EQ(ParamsRoundTrip(RemoveSlotParams{"dev/x", 5}, {{"ref", "dev/x"}, {"owner", 5}}).owner,
            5u);
  EXPECT_EQ(ResultRoundTrip(RemoveSlotResult{"dev/x"}, {{"removed", "dev/x"}}).removed, "dev/x");

  ValidateParams refs{{"dev/x", "dev/y"}, false, true, std::nullopt};
  EXPECT_EQ(ParamsRoundTrip(refs, {{"refs", {"dev/x", "dev/y"}}, {"wait", true}}).refs, refs.refs);
  ValidateParams all{{}, true, false, 3};
  ValidateParams all_back = ParamsRoundTrip(all, {{"all", true}, {"owner", 3}});
  EXPECT_TRUE(all_back.all);
  EXPECT_FALSE(all_back.wait);
  EXPECT_EQ(ResultRoundTrip(ValidateResult{{SlotOf(kSlot)}}, {{"slots", {kSlot}}}).slots.size(),
            1u);
}

TEST(MessagesTest, SetSlotRoundTrips) {
  SetSlotParams models;
  models.ref = "dev/x";
  models.models = std::vector<std::string>{"a", "b"};
  models.endpoint = "codestral";
  models.probe = "list";
  models.rotate_every = "30d";
  models.remind_before = "3d";
  models.grace = "1d";
  models.owner = 4;
  SetSlotParams back = ParamsRoundTrip(models, {{"ref", "dev/x"},
                                                {"models", {"a", "b"}},
                                                {"endpoint", "codestral"},
                                                {"probe", "list"},
                                                {"rotate_every", "30d"},
                                                {"remind_before", "3d"},
                                                {"grace", "1d"},
                                                {"owner", 4}});
  EXPECT_EQ(back.models, models.models);
  EXPECT_FALSE(back.add_model);
  EXPECT_EQ(back.owner, 4u);

  SetSlotParams add;
  add.ref = "dev/x";
  add.add_model = "m";
  EXPECT_EQ(ParamsRoundTrip(add, {{"ref", "dev/x"}, {"add_model", "m"}}).add_model, "m");
  SetSlotParams drop;
  drop.ref = "dev/x";
  drop.drop_model = "m";
  SetSlotParams drop_back = ParamsRoundTrip(drop, {{"ref", "dev/x"}, {"drop_model", "m"}});
  EXPECT_EQ(drop_back.drop_model, "m");
  EXPECT_FALSE(drop_back.models) << "an absent list is not an empty one";
  // Only a ref: a well-formed request; the handler refuses the empty change.
  EXPECT_FALSE(ParamsRoundTrip(SetSlotParams{.ref = "dev/x"}, {{"ref", "dev/x"}}).endpoint);

  SetSlotResult result{SlotOf(kSlot), {{"endpoint", "default", "codestral"}}, {1, 2}};
  Json wire = {{"slot", kSlot},
               {"changes", {{{"field", "endpoint"}, {"from", "default"}, {"to", "codestral"}}}},
               {"rechecking", {1, 2}}};
  SetSlotResult result_back = ResultRoundTrip(result, wire);
  EXPECT_EQ(result_back.changes, result.changes);
  EXPECT_EQ(result_back.rechecking, result.rechecking);
  EXPECT_TRUE(
      ResultRoundTrip(SetSlotResult{SlotOf(kSlot), {}, {}},
                      {{"slot", kSlot}, {"changes", Json::array()}, {"rechecking", Json::array()}})
          .rechecking.empty());
}

TEST(MessagesTest, GetSecretRoundTrips) {
  GetSecretParams params{"dev/x", "export", 9};
  EXPECT_EQ(
      ParamsRoundTrip(params, {{"ref", "dev/x"}, {"purpose", "export"}, {"owner", 9}}).purpose,
      "export");
  GetSecretResult result;
  result.ref = "dev/x";
  result.version = 3;
  result.provider = "openrouter";
  result.endpoint = "default";
  result.base_url = "https://openrouter.ai/api/v1";
  result.env_var = "OPENROUTER_API_KEY";
  result.models = {"a/b"};
  GetSecretResult back = ResultRoundTrip(result, {{"ref", "dev/x"},
                                                  {"version", 3},
                                                  {"provider", "openrouter"},
                                                  {"endpoint", "default"},
                                                  {"base_url", "https://openrouter.ai/api/v1"},
                                                  {"env_var", "OPENROUTER_API_KEY"},
                                                  {"models", {"a/b"}}});
  EXPECT_EQ(back.version, 3);
  EXPECT_TRUE(back.secret.empty());
}

TEST(MessagesTest, CheckKeyRoundTrips) {
  CheckKeyParams params;
  params.provider = "openrouter";
  params.models = {"a/b"};
  params.secret = SecretBuffer::Copy(kSecret);
  params.probe = "complete";
  CheckKeyParams back = ParamsRoundTrip(
      params, {{"provider", "openrouter"}, {"models", {"a/b"}}, {"probe", "complete"}});
  EXPECT_EQ(back.secret.view(), kSecret);
  EXPECT_FALSE(back.endpoint);

  const Json checks = {{{"model", "a/b"},
                        {"outcome", "ok"},
                        {"http_status", 200},
                        {"detail", ""},
                        {"checked_at", "2026-11-01T10:00:05Z"}}};
  CheckKeyResult result{"verified", "https://x", 1, SlotOf(kSlot).versions[0].checks, {{"c", "m"}}};
  EXPECT_EQ(ResultRoundTrip(result, {{"verdict", "verified"},
                                     {"base_url", "https://x"},
                                     {"billed_probes", 1},
                                     {"checks", checks},
                                     {"diagnoses", {{{"code", "c"}, {"message", "m"}}}}})
                .verdict,
            "verified");
}

TEST(MessagesTest, RotationMessagesRoundTrip) {
  RotateParams rotate{"dev/x", SecretBuffer::Copy(kSecret), std::nullopt};
  EXPECT_EQ(ParamsRoundTrip(rotate, {{"ref", "dev/x"}}).secret.view(), kSecret);
  EXPECT_EQ(ResultRoundTrip(RotateResult{SlotOf(kSlot), 2, {}},
                            {{"slot", kSlot}, {"version", 2}, {"warnings", Json::array()}})
                .version,
            2);

  EXPECT_EQ(ParamsRoundTrip(RollbackParams{"dev/x", 4}, {{"ref", "dev/x"}, {"owner", 4}}).owner,
            4u);
  EXPECT_EQ(
      ParamsRoundTrip(RevokeParams{"dev/x", 2, std::nullopt}, {{"ref", "dev/x"}, {"version", 2}})
          .version,
      2);
  EXPECT_FALSE(
      ParamsRoundTrip(RevokeParams{"dev/x", std::nullopt, std::nullopt}, {{"ref", "dev/x"}})
          .version);
  EXPECT_EQ(
      ResultRoundTrip(VersionResult{SlotOf(kSlot), 1}, {{"slot", kSlot}, {"version", 1}}).version,
      1);

  ParamsRoundTrip(RemindersParams{}, Json::object());
  RemindersResult reminders{{{"dev/x", 1000, "overdue", "2026-12-01T00:00:00Z", "late"},
                             {"dev/y", 1001, "alert", std::nullopt, "failing"}}};
  RemindersResult back = ResultRoundTrip(reminders, {{"reminders",
                                                      {{{"ref", "dev/x"},
                                                        {"owner_uid", 1000},
                                                        {"kind", "overdue"},
                                                        {"rotation_due_at", "2026-12-01T00:00:00Z"},
                                                        {"message", "late"}},
                                                       {{"ref", "dev/y"},
                                                        {"owner_uid", 1001},
                                                        {"kind", "alert"},
                                                        {"rotation_due_at", nullptr},
                                                        {"message", "failing"}}}}});
  ASSERT_EQ(back.reminders.size(), 2u);
  EXPECT_FALSE(back.reminders[1].rotation_due_at);
}

TEST(MessagesTest, VaultMessagesRoundTrip) {
  UnlockParams unlock{SecretBuffer::Copy("correct horse"), true};
  UnlockParams unlock_back = ParamsRoundTrip(unlock, {{"create", true}});
  EXPECT_EQ(unlock_back.passphrase.view(), "correct horse");
  EXPECT_TRUE(unlock_back.create);
  EXPECT_TRUE(ResultRoundTrip(
                  UnlockResult{false, true, false, false},
                  {{"sealed", false}, {"created", true}, {"upgraded", false}, {"already", false}})
                  .created);

  ParamsRoundTrip(SealParams{}, Json::object());
  EXPECT_TRUE(ResultRoundTrip(SealResult{true}, {{"sealed", true}}).sealed);

  RekeyParams rekey{SecretBuffer::Copy("old one"), SecretBuffer::Copy("new one")};
  RekeyParams rekey_back = ParamsRoundTrip(rekey, Json::object());
  EXPECT_EQ(rekey_back.passphrase.view(), "old one");
  EXPECT_EQ(rekey_back.new_passphrase.view(), "new one");
  EXPECT_TRUE(ParamsRoundTrip(RekeyParams{}, Json::object()).passphrase.empty());
  EXPECT_EQ(ResultRoundTrip(RekeyResult{"file", "/h/master.key"},
                            {{"master_key", "file"}, {"file", "/h/master.key"}})
                .file,
            "/h/master.key");
  EXPECT_FALSE(
      ResultRoundTrip(RekeyResult{"passphrase", std::nullopt}, {{"master_key", "passphrase"}})
          .file);
}

// The daemon's decoder for `method`'s params.
Status DecodeFor(std::string_view method, Json params) {
  auto as = [&]<class P>() -> Status {
    Result<P> decoded = DecodeParams<P>(params);
    if (!decoded) return std::unexpected(decoded.error());
    return {};
  };
  if (method == "status") return as.operator()<StatusParams>();
  if (method == "providers.list") return as.operator()<ProvidersParams>();
  if (method == "events.list") return as.operator()<EventsParams>();
  if (method == "slot.add") return as.operator()<AddSlotParams>();
  if (method == "slot.list") return as.operator()<ListSlotsParams>();
  if (method == "slot.show") return as.operator()<ShowSlotParams>();
  if (method == "slot.get") return as.operator()<GetSecretParams>();
  if (method == "slot.set") return as.operator()<SetSlotParams>();
  if (method == "slot.rm") return as.operator()<RemoveSlotParams>();
  if (method == "slot.validate") return as.operator()<ValidateParams>();
  if (method == "key.check") return as.operator()<CheckKeyParams>();
  if (method == "slot.rotate") return as.operator()<RotateParams>();
  if (method == "slot.rollback") return as.operator()<RollbackParams>();
  if (method == "slot.revoke") return as.operator()<RevokeParams>();
  if (method == "reminders.list") return as.operator()<RemindersParams>();
  if (method == "unlock") return as.operator()<UnlockParams>();
  if (method == "seal") return as.operator()<SealParams>();
  if (method == "rekey") return as.operator()<RekeyParams>();
  if (method == "copy.record") return as.operator()<CopyRecordParams>();
  if (method == "copy.list") return as.operator()<CopyListParams>();
  if (method == "copy.forget") return as.operator()<CopyForgetParams>();
  if (method == "key.identify") return as.operator()<IdentifyKeyParams>();
  if (method == "token.add") return as.operator()<AddTokenParams>();
  if (method == "token.list") return as.operator()<ListTokensParams>();
  if (method == "token.rm") return as.operator()<RemoveTokenParams>();
  ADD_FAILURE() << "no decoder for " << method;
  return {};
}

struct BadParams {
  std::string method;
  Json params;
  std::string message;
};

TEST(MessagesTest, TokenMessagesRoundTripAndNeverCarryTheTokenInJson) {
  AddTokenParams add{.name = "ci", .env = "dev", .slots = {"dev/x", "y"}, .expires_in = 3600};
  AddTokenParams back = ParamsRoundTrip(
      add, {{"name", "ci"}, {"env", "dev"}, {"slots", {"dev/x", "y"}}, {"expires_in", 3600}});
  EXPECT_EQ(back.slots, add.slots);
  EXPECT_EQ(ParamsRoundTrip(AddTokenParams{.name = "a", .env = "e"}, {{"name", "a"}, {"env", "e"}})
                .expires_in,
            std::nullopt);

  const Json info = {{"name", "ci"},
                     {"owner", 1000},
                     {"env", "dev"},
                     {"slots", {"x"}},
                     {"created_at", "2026-12-01T10:00:00Z"},
                     {"expires_at", nullptr},
                     {"expired", false}};
  AddTokenResult result;
  ASSERT_TRUE(Decode(Json{{"token", info}}, &result));
  result.token = SecretBuffer::Copy("kwt_secret-text");
  const Json wire = Encode(result);
  EXPECT_EQ(wire, (Json{{"token", info}}));
  EXPECT_EQ(wire.dump().find("kwt_secret-text"), std::string::npos);
  EXPECT_EQ(ResultRoundTrip(result, wire).info.owner, 1000u);

  Json expiring = info;
  expiring["expires_at"] = "2026-12-02T10:00:00Z";
  expiring["expired"] = true;
  ListTokensResult listed = ResultRoundTrip(ListTokensResult{}, {{"tokens", Json::array()}});
  EXPECT_TRUE(listed.tokens.empty());
  Result<ListTokensResult> two = DecodeResult<ListTokensResult>({{"tokens", {info, expiring}}});
  ASSERT_TRUE(two) << two.error().message;
  ASSERT_EQ(two->tokens.size(), 2u);
  EXPECT_TRUE(two->tokens[1].expired);
  EXPECT_EQ(two->tokens[1].expires_at, int64_t{1796205600});
  Result<ListTokensResult> bad = DecodeResult<ListTokensResult>({{"tokens", {{{"name", 1}}}}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("result.tokens[0].name: expected a string"), std::string::npos)
      << bad.error().message;

  EXPECT_EQ(ParamsRoundTrip(ListTokensParams{}, Json::object()).kMethod, "token.list");
  EXPECT_EQ(ParamsRoundTrip(RemoveTokenParams{"ci"}, {{"name", "ci"}}).name, "ci");
  EXPECT_EQ(ResultRoundTrip(RemoveTokenResult{"ci"}, {{"removed", "ci"}}).removed, "ci");
}

TEST(MessagesTest, EachBadParamIsInvalidArgumentNamingIt) {
  const Json add = {{"ref", "dev/x"}, {"provider", "p"}, {"models", {"m"}}, {"secret", "k"}};
  auto with = [](Json base, const std::string& key, Json value) {
    base[key] = std::move(value);
    return base;
  };
  auto without = [](Json base, const std::string& key) {
    base.erase(key);
    return base;
  };
  const std::vector<BadParams> cases = {
      {"status", {{"owner", "root"}}, "params.owner: expected a uid"},
      {"status", {{"owner", -1}}, "params.owner: expected a uid"},
      {"status", {{"owner", 4294967296}}, "params.owner: expected a uid"},
      {"status", {{"owner", 1.5}}, "params.owner: expected a uid"},
      {"status", {{"x", 1}}, "params.x: unknown field"},
      {"providers.list", {{"id", "p"}}, "params.id: unknown field"},
      {"events.list", {{"ref", 1}}, "params.ref: expected a string"},
      {"events.list", {{"since", true}}, "params.since: expected a string"},
      {"slot.add", without(add, "secret"), "params.secret: expected a string"},
      {"slot.add", with(add, "secret", 5), "params.secret: expected a string"},
      {"slot.add", without(add, "ref"), "params.ref: expected a string"},
      {"slot.add", with(add, "provider", Json::array()), "params.provider: expected a string"},
      {"slot.add", without(add, "models"), "params.models: expected an array of strings"},
      {"slot.add", with(add, "models", "m"), "params.models: expected an array of strings"},
      {"slot.add", with(add, "models", {"a", "b", 3}), "params.models[2]: expected a string"},
      {"slot.add", with(add, "endpoint", 1), "params.endpoint: expected a string"},
      {"slot.add", with(add, "probe", false), "params.probe: expected a string"},
      {"slot.add", with(add, "rotate_every", 90), "params.rotate_every: expected a string"},
      {"slot.add", with(add, "remind_before", 7), "params.remind_before: expected a string"},
      {"slot.add", with(add, "grace", 1), "params.grace: expected a string"},
      {"slot.add", with(add, "rotate_evry", "9d"), "params.rotate_evry: unknown field"},
      {"slot.list", {{"env", 3}}, "params.env: expected a string"},
      {"slot.list", {{"summary", "yes"}}, "params.summary: expected true or false"},
      {"slot.show", Json::object(), "params.ref: expected a string"},
      {"slot.show", {{"ref", "dev/x"}, {"owner", "me"}}, "params.owner: expected a uid"},
      {"slot.get",
       {{"ref", "dev/x"}, {"purpose", "steal"}},
       "params.purpose: expected get, export, exec or sync"},
      {"slot.get", {{"ref", "dev/x"}, {"purpose", 1}}, "params.purpose: expected a string"},
      {"slot.set", {{"models", {"m"}}}, "params.ref: expected a string"},
      {"slot.set",
       {{"ref", "dev/x"}, {"models", "m"}},
       "params.models: expected an array of strings"},
      {"slot.set", {{"ref", "dev/x"}, {"models", {"m", 1}}}, "params.models[1]: expected a string"},
      {"slot.set", {{"ref", "dev/x"}, {"add_model", 1}}, "params.add_model: expected a string"},
      {"slot.set",
       {{"ref", "dev/x"}, {"drop_model", {"m"}}},
       "params.drop_model: expected a string"},
      {"slot.set",
       {{"ref", "dev/x"}, {"models", {"m"}}, {"drop_model", "n"}},
       "params: models, add_model and drop_model exclude each other"},
      {"slot.set",
       {{"ref", "dev/x"}, {"add_model", "m"}, {"drop_model", "n"}},
       "params: models, add_model and drop_model exclude each other"},
      {"slot.set", {{"ref", "dev/x"}, {"endpoint", 2}}, "params.endpoint: expected a string"},
      {"slot.set", {{"ref", "dev/x"}, {"probe", true}}, "params.probe: expected a string"},
      {"slot.set", {{"ref", "dev/x"}, {"grace", 7}}, "params.grace: expected a string"},
      {"slot.set", {{"ref", "dev/x"}, {"owner", "me"}}, "params.owner: expected a uid"},
      {"slot.set", {{"ref", "dev/x"}, {"provider", "p"}}, "params.provider: unknown field"},
      {"slot.set", {{"ref", "dev/x"}, {"secret", "k"}}, "params.secret: unknown field"},
      {"slot.rm", {{"ref", nullptr}}, "params.ref: expected a string"},
      {"slot.validate", Json::object(), "params.refs: expected an array of strings"},
      {"slot.validate", {{"refs", {"dev/x", 1}}}, "params.refs[1]: expected a string"},
      {"slot.validate", {{"all", "yes"}}, "params.all: expected true or false"},
      {"slot.validate", {{"all", true}, {"wait", 1}}, "params.wait: expected true or false"},
      {"key.check", {{"secret", "k"}, {"models", {"m"}}}, "params.provider: expected a string"},
      {"key.check",
       {{"secret", "k"}, {"provider", "p"}, {"models", {nullptr}}},
       "params.models[0]: expected a string"},
      {"slot.rotate", {{"ref", "dev/x"}}, "params.secret: expected a string"},
      {"slot.rotate", {{"secret", "k"}, {"ref", 1}}, "params.ref: expected a string"},
      {"slot.rollback", {{"ref", "dev/x"}, {"version", 1}}, "params.version: unknown field"},
      {"slot.revoke",
       {{"ref", "dev/x"}, {"version", 0}},
       "params.version: expected a version number"},
      {"slot.revoke",
       {{"ref", "dev/x"}, {"version", 4294967297}},
       "params.version: expected a version number"},
      {"slot.revoke",
       {{"ref", "dev/x"}, {"version", "2"}},
       "params.version: expected a version number"},
      {"reminders.list", {{"owner", true}}, "params.owner: expected a uid"},
      {"unlock", {{"passphrase", 5}}, "params.passphrase: expected a string"},
      {"unlock", {{"passphrase", "p"}, {"create", "yes"}}, "params.create: expected true or false"},
      {"seal", {{"now", true}}, "params.now: unknown field"},
      {"rekey", {{"new_passphrase", 1}}, "params.new_passphrase: expected a string"},
      {"copy.record",
       {{"ref", "dev/x"}, {"target", "dotenv"}, {"path", "/a"}, {"field", "dotenv:X"}},
       "params.version: expected a version number"},
      {"copy.record",
       {{"ref", "dev/x"}, {"target", 1}, {"path", "/a"}, {"field", "f"}, {"version", 1}},
       "params.target: expected a string"},
      {"copy.record",
       {{"ref", "dev/x"},
        {"target", "t"},
        {"path", "/a"},
        {"field", "f"},
        {"version", 1},
        {"secret", "k"}},
       "params.secret: unknown field"},
      {"copy.list", {{"ref", 1}}, "params.ref: expected a string"},
      {"copy.forget", {{"ref", "dev/x"}}, "params.path: expected a string"},
      {"key.identify", Json::object(), "params.secret: expected a string"},
      {"key.identify", {{"secret", "k"}, {"ref", "dev/x"}}, "params.ref: unknown field"},
      {"token.add", {{"env", "dev"}}, "params.name: expected a string"},
      {"token.add", {{"name", "ci"}}, "params.env: expected a string"},
      {"token.add",
       {{"name", "ci"}, {"env", "dev"}, {"slots", "dev/x"}},
       "params.slots: expected an array of strings"},
      {"token.add",
       {{"name", "ci"}, {"env", "dev"}, {"expires_in", 0}},
       "params.expires_in: expected a number of seconds up to ten years"},
      {"token.add", {{"name", "ci"}, {"env", "dev"}, {"hash", "x"}}, "params.hash: unknown field"},
      {"token.list", {{"owner", 0}}, "params.owner: unknown field"},
      {"token.rm", Json::object(), "params.name: expected a string"},
  };
  for (const BadParams& c : cases) {
    Status decoded = DecodeFor(c.method, c.params);
    ASSERT_FALSE(decoded) << c.method << " " << c.params.dump();
    EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument)
        << c.method << " " << c.params.dump();
    EXPECT_EQ(decoded.error().message, c.message) << c.method << " " << c.params.dump();
  }
}

TEST(MessagesTest, CopyMessagesRoundTrip) {
  const CopyRecordParams record{"dev/x", "dotenv", "/home/a/.env", "dotenv:X_API_KEY", "m", 2};
  const Json record_wire = {{"ref", "dev/x"},         {"target", "dotenv"},
                            {"path", "/home/a/.env"}, {"field", "dotenv:X_API_KEY"},
                            {"model", "m"},           {"version", 2}};
  EXPECT_EQ(ParamsRoundTrip(record, record_wire).field, "dotenv:X_API_KEY");
  const CopyObject copy{"dev/x", "dotenv", "/home/a/.env", "dotenv:X_API_KEY",    "m", 1, "retired",
                        false,   2,        "stale",        "2026-11-21T10:00:00Z"};
  const Json copy_wire = {{"ref", "dev/x"},
                          {"target", "dotenv"},
                          {"path", "/home/a/.env"},
                          {"field", "dotenv:X_API_KEY"},
                          {"model", "m"},
                          {"version", 1},
                          {"version_state", "retired"},
                          {"destroyed", false},
                          {"current_version", 2},
                          {"recorded", "stale"},
                          {"recorded_at", "2026-11-21T10:00:00Z"}};
  EXPECT_EQ(ResultRoundTrip(CopyRecordResult{copy}, {{"copy", copy_wire}}).copy.recorded, "stale");
  EXPECT_EQ(ResultRoundTrip(CopyListResult{{copy}}, {{"copies", {copy_wire}}}).copies.size(), 1u);
  EXPECT_EQ(ParamsRoundTrip(CopyListParams{"dev/x"}, {{"ref", "dev/x"}}).ref, "dev/x");
  EXPECT_FALSE(ParamsRoundTrip(CopyListParams{}, Json::object()).ref);
  EXPECT_EQ(
      ParamsRoundTrip(CopyForgetParams{"dev/x", "/a"}, {{"ref", "dev/x"}, {"path", "/a"}}).path,
      "/a");
  EXPECT_EQ(ResultRoundTrip(CopyForgetResult{3}, {{"forgotten", 3}}).forgotten, 3);
  // The secret travels outside the JSON, as slot.add's does.
  IdentifyKeyParams identify{SecretBuffer::Copy(kSecret)};
  EXPECT_EQ(ParamsRoundTrip(identify, Json::object()).secret.view(), kSecret);
  const IdentifyKeyResult matches{{{"dev/x", 1, "retired", false, true}}};
  EXPECT_EQ(ResultRoundTrip(matches, {{"matches",
                                       {{{"ref", "dev/x"},
                                         {"version", 1},
                                         {"state", "retired"},
                                         {"current", false},
                                         {"destroyed", true}}}}})
                .matches.front()
                .destroyed,
            true);
}

TEST(MessagesTest, AReplyOfAnotherShapeIsAnUnexpectedReplyNamingTheMember) {
  struct Case {
    Result<bool> decoded;
    std::string detail;
  };
  auto check = []<class R>(const Json& result) -> Result<bool> {
    Result<R> decoded = DecodeResult<R>(result);
    if (!decoded) return std::unexpected(decoded.error());
    return true;
  };
  const std::vector<Case> cases = {
      {check.operator()<SlotResult>(Json(42)), "result: expected an object"},
      {check.operator()<SlotResult>({{"slot", "x"}}), "result.slot: expected an object"},
      {check.operator()<SlotResult>({{"slot", {{"ref", 1}}}}),
       "result.slot.ref: expected a string"},
      {check.operator()<ListSlotsResult>({{"slots", {kSlot, 3}}}),
       "result.slots[1]: expected an object"},
      {check.operator()<SlotResult>({{"slot", With("/usable", "yes")}}),
       "result.slot.usable: expected true or false"},
      {check.operator()<SlotResult>({{"slot", With("/versions/1/state", "fine")}}),
       "result.slot.versions[1].state: expected a version state, got \"fine\""},
      {check.operator()<SlotResult>({{"slot", With("/versions/0/checks/0/outcome", "meh")}}),
       "result.slot.versions[0].checks[0].outcome: expected an outcome (ok, denied, not_found, "
       "...)"},
      {check.operator()<SlotResult>({{"slot", With("/versions/0/created_at", "yesterday")}}),
       "result.slot.versions[0].created_at: expected a time like 2026-11-21T10:00:00Z"},
      {check.operator()<SlotResult>({{"slot", With("/pending_version", 0)}}),
       "result.slot.pending_version: expected a version number"},
      {check.operator()<SlotResult>({{"slot", With("/rotation/grace", -1)}}),
       "result.slot.rotation.grace: expected a duration in seconds"},
      {check.operator()<ValidateResult>({{"slots", {With("/diagnoses/0", 1)}}}),
       "result.slots[0].diagnoses[0]: expected an object"},
      {check.operator()<CheckKeyResult>({{"verdict", "failed"},
                                         {"base_url", "x"},
                                         {"billed_probes", 0},
                                         {"checks", {{{"model", "m"}}}},
                                         {"diagnoses", Json::array()}}),
       "result.checks[0].outcome: expected a string"},
      {check.operator()<RotateResult>(
           {{"slot", kSlot}, {"version", "2"}, {"warnings", Json::array()}}),
       "result.version: expected a version number"},
      {check.operator()<AddSlotResult>({{"slot", kSlot}, {"warnings", {{{"code", "c"}}}}}),
       "result.warnings[0].message: expected a string"},
      {check.operator()<StatusResult>({{"version", "0.1.0"}}),
       "result.protocol: expected a version number"},
      {check.operator()<EventsResult>({{"events", 5}}), "result.events: expected an array"},
      {check.operator()<RemindersResult>({{"reminders", {{{"ref", "dev/x"}, {"owner_uid", -3}}}}}),
       "result.reminders[0].owner_uid: expected a uid"},
      {check.operator()<SealResult>({{"sealed", "x"}}), "result.sealed: expected true or false"},
      {check.operator()<SetSlotResult>({{"slot", kSlot}, {"rechecking", Json::array()}}),
       "result.changes: expected an array"},
      {check.operator()<SetSlotResult>({{"slot", kSlot},
                                        {"changes", {{{"field", "models"}, {"from", "a"}}}},
                                        {"rechecking", Json::array()}}),
       "result.changes[0].to: expected a string"},
      {check.operator()<SetSlotResult>(
           {{"slot", kSlot}, {"changes", Json::array()}, {"rechecking", {0}}}),
       "result.rechecking[0]: expected a version number"},
      {check.operator()<RekeyResult>({{"file", "/x"}}), "result.master_key: expected a string"},
  };
  for (const Case& c : cases) {
    ASSERT_FALSE(c.decoded) << c.detail;
    EXPECT_EQ(c.decoded.error().code, ErrorCode::kProtocol);
    EXPECT_EQ(c.decoded.error().message, "unexpected reply from the daemon (" + c.detail + ")");
  }
}

TEST(MessagesTest, ResultDecodersIgnoreMembersOfALaterVersion) {
  Result<SealResult> sealed = DecodeResult<SealResult>({{"sealed", true}, {"since", "now"}});
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_TRUE(sealed->sealed);
}

}  // namespace
}  // namespace keywarden
