// The gateway's pure request rules (daemon/gateway/routes.h) and its config.
#include <gtest/gtest.h>

#include "gateway/routes.h"
#include "keywarden/config.h"
#include "keywarden/protocol.h"
#include "keywarden/providers.h"

namespace keywarden::gateway {
namespace {

const Catalogue& Cat() { return Catalogue::Builtin(); }

TEST(GatewayRouteTest, SplitsProviderEndpointRestAndQuery) {
  Result<Route> r = ParseRoute(Cat(), "/p/openrouter/default/chat/completions?x=1&key=kwt_a&y=2");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->provider->id, "openrouter");
  EXPECT_EQ(r->endpoint, "default");
  EXPECT_EQ(r->rest, "/chat/completions");
  EXPECT_EQ(r->query, "x=1&y=2");  // the token never goes upstream

  Result<Route> m = ParseRoute(Cat(), "/p/mistral/codestral/fim/completions");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->endpoint, "codestral");
  Result<Route> general = ParseRoute(Cat(), "/p/mistral/default/models");
  ASSERT_TRUE(general);
  EXPECT_EQ(general->endpoint, "general");  // "default" names the provider's default endpoint

  Result<Route> bare = ParseRoute(Cat(), "/p/openai/default");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->rest, "");

  Result<Route> compat = ParseRoute(Cat(), "/p/openai-compatible/local-llm/chat/completions");
  ASSERT_TRUE(compat);
  EXPECT_EQ(compat->endpoint, "local-llm");  // a slot name of the token's env
}

TEST(GatewayRouteTest, AVersionSegmentTheToolAddsIsNotRepeatedUpstream) {
  EXPECT_EQ(UpstreamUrl("https://api.anthropic.com/v1", "/v1/messages"),
            "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(UpstreamUrl("https://api.anthropic.com/v1", "/messages"),
            "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(
      UpstreamUrl("https://generativelanguage.googleapis.com/v1beta",
                  "/v1beta/models/gemini-2.5-pro:generateContent"),
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent");
  EXPECT_EQ(UpstreamUrl("http://127.0.0.1:9/openrouter/api/v1/", "/chat/completions"),
            "http://127.0.0.1:9/openrouter/api/v1/chat/completions");
  // Only a whole segment: /v1beta is not /v1 followed by "beta".
  EXPECT_EQ(UpstreamUrl("https://x.example/v1", "/v1beta/models"),
            "https://x.example/v1/v1beta/models");
  EXPECT_EQ(UpstreamUrl("https://x.example", "/models"), "https://x.example/models");
  EXPECT_EQ(UpstreamUrl("https://x.example/v1", ""), "https://x.example/v1");
}

TEST(GatewayRouteTest, RefusesUnknownRoutesAndDotSegments) {
  for (const char* bad : {"/", "/p/", "/p/openrouter", "/p/nosuch/default/x", "/v1/chat",
                          "/p/mistral/nosuch/chat", "/p/openai-compatible/Bad Name/x"}) {
    Result<Route> r = ParseRoute(Cat(), bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << bad;
    EXPECT_TRUE(r.error().message.starts_with("keywarden: ")) << bad;
  }
  for (const char* bad : {"/p/openai/default/../admin", "/p/openai/default/a/%2E%2e/b",
                          "/p/openai/default/./x", "/p/openai/default/a\\b"}) {
    Result<Route> r = ParseRoute(Cat(), bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(GatewayRouteTest, FindsTheTokenWhereClientsPutAKey) {
  EXPECT_EQ(FindToken({{"authorization", "Bearer kwt_1"}}, "")->text, "kwt_1");
  EXPECT_EQ(FindToken({{"authorization", "bearer  kwt_1"}}, "")->text, "kwt_1");
  EXPECT_EQ(FindToken({{"x-api-key", "kwt_2"}}, "")->where, "x-api-key");
  EXPECT_EQ(FindToken({{"x-goog-api-key", "kwt_3"}}, "")->text, "kwt_3");
  EXPECT_EQ(FindToken({}, "alt=sse&key=kwt_4")->text, "kwt_4");
  EXPECT_EQ(FindToken({}, "alt=sse&key=kwt_4")->where, "query");
  EXPECT_FALSE(FindToken({{"authorization", "Basic abc"}}, "keyx=1"));
  EXPECT_EQ(RemoveKeyParam("key=kwt_1"), "");
  EXPECT_EQ(RemoveKeyParam("alt=sse&key=kwt_1&x=2"), "alt=sse&x=2");
}

TEST(GatewayRouteTest, FindsTheRequestedModel) {
  const ProviderInfo& gemini = *Cat().Find("gemini");
  const ProviderInfo& openrouter = *Cat().Find("openrouter");
  EXPECT_EQ(RequestedModel(gemini, "/models/gemini-2.5-pro:streamGenerateContent", ""),
            "gemini-2.5-pro");
  EXPECT_EQ(RequestedModel(openrouter, "/chat/completions",
                           R"({"messages":[{"model":"inner"}],"model":"google/gemini-2.5-pro"})"),
            "google/gemini-2.5-pro");
  EXPECT_EQ(RequestedModel(openrouter, "/chat/completions", R"({"messages":[]})"), "");
  EXPECT_EQ(RequestedModel(openrouter, "/chat/completions", "not json"), "");
  EXPECT_EQ(RequestedModel(openrouter, "/models", ""), "");
  const ProviderInfo& mistral = *Cat().Find("mistral");
  EXPECT_TRUE(SameModel(mistral, "codestral-latest", "codestral-2508"));
  EXPECT_TRUE(SameModel(mistral, "codestral-2508", "codestral-latest"));
  EXPECT_FALSE(SameModel(mistral, "codestral-2508", "mistral-large-latest"));
}

TEST(GatewayRouteTest, AcceptsOnlyLoopbackHosts) {
  for (const char* ok : {"localhost", "localhost:8370", "127.0.0.1:8370", "127.1.2.3", "[::1]:8370",
                         "[::1]", "LOCALHOST"}) {
    EXPECT_TRUE(IsLoopbackHost(ok)) << ok;
  }
  for (const char* bad : {"", "evil.example", "evil.example:8370", "10.0.0.1", "[::2]:80",
                          "localhost.evil.example", "128.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(bad)) << bad;
  }
}

TEST(GatewayRouteTest, ForwardsNoAuthHopByHopOrBrowserHeaders) {
  for (const char* dropped : {"authorization", "x-api-key", "x-goog-api-key", "host", "origin",
                              "connection", "transfer-encoding", "content-length", "cookie"}) {
    EXPECT_FALSE(ForwardRequestHeader(dropped)) << dropped;
  }
  for (const char* kept : {"content-type", "accept", "anthropic-version", "user-agent",
                           "http-referer", "x-title", "accept-encoding"}) {
    EXPECT_TRUE(ForwardRequestHeader(kept)) << kept;
  }
  EXPECT_FALSE(ForwardResponseHeader("transfer-encoding"));
  EXPECT_TRUE(ForwardResponseHeader("content-type"));
}

TEST(GatewayRouteTest, ErrorBodiesTakeTheProvidersShape) {
  Json openai = Json::parse(ErrorBody(Cat().Find("openai"), 403, "keywarden: no"));
  EXPECT_EQ(openai["error"]["message"], "keywarden: no");
  Json anthropic = Json::parse(ErrorBody(Cat().Find("anthropic"), 403, "keywarden: no"));
  EXPECT_EQ(anthropic["type"], "error");
  EXPECT_EQ(anthropic["error"]["type"], "permission_error");
  EXPECT_EQ(anthropic["error"]["message"], "keywarden: no");
  Json gemini = Json::parse(ErrorBody(Cat().Find("gemini"), 403, "keywarden: no"));
  EXPECT_EQ(gemini["error"]["code"], 403);
  EXPECT_EQ(gemini["error"]["status"], "PERMISSION_DENIED");
  EXPECT_EQ(gemini["error"]["message"], "keywarden: no");
}

TEST(GatewayRouteTest, ReadsRetryAfter) {
  EXPECT_EQ(RetryAfterSeconds(std::string("7"), std::nullopt, 0), 7);
  EXPECT_EQ(RetryAfterSeconds(std::nullopt, std::string("1500"), 0), 2);
  // Sun, 06 Nov 1994 08:49:37 GMT is 784111777.
  EXPECT_EQ(
      RetryAfterSeconds(std::string("Sun, 06 Nov 1994 08:49:37 GMT"), std::nullopt, 784111777 - 20),
      20);
  EXPECT_FALSE(RetryAfterSeconds(std::string("soon"), std::nullopt, 0));
  EXPECT_FALSE(RetryAfterSeconds(std::nullopt, std::nullopt, 0));
}

TEST(GatewayConfigTest, ListensOnLoopbackOnly) {
  Result<Config> c = ParseConfig(R"({"gateway": {"listen": "127.0.0.1:8370"}})");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(c->gateway);
  EXPECT_EQ(c->gateway->host, "127.0.0.1");
  EXPECT_EQ(c->gateway->port, 8370);
  EXPECT_EQ(c->gateway->max_body_bytes, 32u * 1024 * 1024);
  Result<Config> v6 = ParseConfig(R"({"gateway": {"listen": "[::1]:0", "max_per_token": 4}})");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->gateway->host, "::1");
  EXPECT_EQ(v6->gateway->max_per_token, 4);
  EXPECT_FALSE(ParseConfig("{}")->gateway);

  for (const char* bad :
       {R"({"gateway": {"listen": "0.0.0.0:8370"}})",
        R"({"gateway": {"listen": "192.168.1.2:8370"}})",
        R"({"gateway": {"listen": "localhost:8370"}})", R"({"gateway": {"listen": "127.0.0.1"}})",
        R"({"gateway": {"listen": "127.0.0.1:99999"}})", R"({"gateway": {}})"}) {
    Result<Config> r = ParseConfig(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("gateway.listen"), std::string::npos) << r.error().message;
  }
  Result<Config> big =
      ParseConfig(R"({"gateway": {"listen": "127.0.0.1:1", "max_body_bytes": 99999999999}})");
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("gateway.max_body_bytes"), std::string::npos);
}

}  // namespace
}  // namespace keywarden::gateway
