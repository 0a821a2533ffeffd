// The gateway's tokens at the request handler and the token registry, over
// a real SQLite store and keyring: token.add's text verifies (and nothing
// else does), until it expires or is removed; a sealed daemon verifies none
// and makes none; each uid sees and removes only its own.
#include "gateway/token_registry.h"

#include <gtest/gtest.h>

#include "keywarden/clock.h"
#include "unit/handler_fixture.h"

namespace keywarden {
namespace {

constexpr uint32_t kAlice = 1000;
constexpr uint32_t kBob = 2000;

class TokenRegistryTest : public HandlerTest {
 protected:
  TokenRegistryTest() {
    registry_ = std::make_unique<TokenRegistry>(*store_, keyring_);
    HandlerOptions options;
    options.system_mode = true;
    options.tokens = registry_.get();
    handler_ = std::make_unique<RequestHandler>(*store_, config_, Catalogue::Builtin(), options,
                                                keyring_, nullptr);
  }

  Result<Json> CallAs(uint32_t uid, std::string method, Json params) {
    Request request{1, std::move(method), std::move(params)};
    Result<Json> reply = Fail(ErrorCode::kInternal, "no reply");
    handler_->Handle(request, Peer{uid, uid, 1, false},
                     [&](Result<Json> result) { reply = std::move(result); });
    return reply;
  }

  // token.add as `uid`; the token's text.
  std::string Add(uint32_t uid, const std::string& name, Json extra = Json::object()) {
    Json params = {{"name", name}, {"env", "dev"}};
    params.update(extra);
    Result<Json> added = CallAs(uid, "token.add", params);
    EXPECT_TRUE(added) << added.error().message;
    if (!added) return "";
    EXPECT_EQ((*added)["token"]["name"], name);
    return (*added)["secret"].get<std::string>();
  }

  std::unique_ptr<TokenRegistry> registry_;
};

TEST_F(TokenRegistryTest, TheAddedTextVerifiesAndNoOtherTextDoes) {
  const std::string text = Add(kAlice, "ci", {{"slots", {"dev/openrouter", "mistral"}}});
  ASSERT_TRUE(text.starts_with("kwt_")) << text;
  EXPECT_EQ(text.size(), 47u);
  const int64_t now = NowSeconds();
  std::optional<GatewayToken> token = registry_->Verify(text, now);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->name, "ci");
  EXPECT_EQ(token->owner_uid, kAlice);
  EXPECT_EQ(token->env, "dev");
  EXPECT_EQ(token->slots, (std::vector<std::string>{"openrouter", "mistral"}));

  std::string flipped = text;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(registry_->Verify(flipped, now));
  EXPECT_FALSE(registry_->Verify(text.substr(0, 46), now));
  EXPECT_FALSE(registry_->Verify(text + "A", now));
  EXPECT_FALSE(registry_->Verify(text.substr(4), now)) << "the prefix is part of the token";
  EXPECT_FALSE(registry_->Verify("", now));

  // The store holds a 32-byte keyed hash, never the text.
  Result<std::vector<GatewayToken>> stored = store_->ListTokens(std::nullopt);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].hash.size(), 32u);
  EXPECT_EQ((*stored)[0].hash, keyring_->TokenHash(text));
  EXPECT_NE((*stored)[0].hash, Keyring::Create().TokenHash(text)) << "keyed by the data key";

  const std::string other = Add(kAlice, "ci2");
  EXPECT_NE(other, text);
  EXPECT_EQ(registry_->Verify(other, now)->name, "ci2");
}

TEST_F(TokenRegistryTest, AnExpiredOrRemovedTokenNoLongerVerifies) {
  const std::string text = Add(kAlice, "short", {{"expires_in", 60}});
  const int64_t now = NowSeconds();
  ASSERT_TRUE(registry_->Verify(text, now));
  EXPECT_FALSE(registry_->Verify(text, now + 61));
  Result<Json> listed = CallAs(kAlice, "token.list", Json::object());
  ASSERT_TRUE(listed);
  EXPECT_TRUE((*listed)["tokens"][0]["expires_at"].is_string());

  ASSERT_TRUE(CallAs(kAlice, "token.rm", {{"name", "short"}}));
  EXPECT_FALSE(registry_->Verify(text, now)) << "rm reloads the registry";
}

TEST_F(TokenRegistryTest, ASealedDaemonVerifiesNoTokenAndMakesNone) {
  const std::string text = Add(kAlice, "ci");
  keyring_.reset();
  EXPECT_FALSE(registry_->Verify(text, NowSeconds()));
  Result<Json> added = CallAs(kAlice, "token.add", {{"name", "x"}, {"env", "dev"}});
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::kSealed);
}

TEST_F(TokenRegistryTest, EachUidListsAndRemovesOnlyItsOwnTokens) {
  const std::string alice = Add(kAlice, "ci");
  Result<Json> bob_list = CallAs(kBob, "token.list", Json::object());
  ASSERT_TRUE(bob_list) << bob_list.error().message;
  EXPECT_EQ((*bob_list)["tokens"], Json::array());
  Result<Json> bob_rm = CallAs(kBob, "token.rm", {{"name", "ci"}});
  ASSERT_FALSE(bob_rm);
  EXPECT_EQ(bob_rm.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(bob_rm.error().message, "no token ci") << "as for a name never used";

  const std::string bob = Add(kBob, "ci");
  EXPECT_EQ(registry_->Verify(alice, NowSeconds())->owner_uid, kAlice);
  EXPECT_EQ(registry_->Verify(bob, NowSeconds())->owner_uid, kBob);
  Result<Json> alice_list = CallAs(kAlice, "token.list", Json::object());
  ASSERT_TRUE(alice_list);
  ASSERT_EQ((*alice_list)["tokens"].size(), 1u);
  EXPECT_EQ((*alice_list)["tokens"][0]["owner"], kAlice);
}

TEST_F(TokenRegistryTest, ANameInUseABadNameOrASlotOfAnotherEnvIsRefused) {
  Add(kAlice, "ci");
  Result<Json> again = CallAs(kAlice, "token.add", {{"name", "ci"}, {"env", "dev"}});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  for (const Json& params :
       {Json{{"name", "Bad"}, {"env", "dev"}}, Json{{"name", "x"}, {"env", "Dev"}},
        Json{{"name", "x"}, {"env", "dev"}, {"slots", {"prod/openrouter"}}},
        Json{{"name", "x"}, {"env", "dev"}, {"slots", {"a/b/c"}}}}) {
    Result<Json> refused = CallAs(kAlice, "token.add", params);
    ASSERT_FALSE(refused) << params.dump();
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << params.dump();
  }
  EXPECT_EQ(registry_->size(), 1u);
  Result<std::vector<Event>> events = store_->ListEvents({});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].action, "token_added");
  EXPECT_EQ((*events)[0].detail, "token ci for dev");
}

}  // namespace
}  // namespace keywarden
