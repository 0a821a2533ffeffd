// The gateway through the real daemon: real HTTP from the test (a raw
// socket), the fake provider upstream, real keys chosen by model, failover,
// streaming, the Host/Origin and size limits, and the audit trail.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "integration/provider_fixture.h"

namespace keywarden::testing {
namespace {

struct HttpAnswer {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;  // de-chunked
  Json json() const { return Json::parse(body, nullptr, false); }
};

// One raw HTTP/1.1 connection to the gateway.
class RawHttp {
 public:
  explicit RawHttp(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawHttp() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // What arrives within `wait`; "" on timeout or close.
  std::string ReadSome(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return "";
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  // Reads one whole response (Content-Length, chunked, or until close).
  HttpAnswer Read() {
    HttpAnswer answer;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Complete(answer)) return answer;
      std::string more = ReadSome(std::chrono::milliseconds(200));
      if (more.empty() && Closed()) break;
      in_ += more;
    }
    Complete(answer, /*closed=*/true);
    return answer;
  }

 private:
  bool Closed() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK) <= 0;
  }
  bool Complete(HttpAnswer& answer, bool closed = false) {
    const size_t end = in_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    answer.head = in_.substr(0, end);
    answer.status = std::atoi(answer.head.substr(9, 3).c_str());
    std::string lower = answer.head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string rest = in_.substr(end + 4);
    if (auto at = lower.find("content-length:"); at != std::string::npos) {
      size_t length = std::stoul(lower.substr(at + 15));
      if (rest.size() < length) return false;
      answer.body = rest.substr(0, length);
      in_ = rest.substr(length);
      return true;
    }
    if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      std::string body;
      size_t pos = 0;
      while (true) {
        size_t line = rest.find("\r\n", pos);
        if (line == std::string::npos) return false;
        size_t size = std::stoul(rest.substr(pos, line - pos), nullptr, 16);
        if (rest.size() < line + 2 + size + 2) return false;
        if (size == 0) {
          answer.body = body;
          in_ = rest.substr(line + 4);
          return true;
        }
        body += rest.substr(line + 2, size);
        pos = line + 2 + size + 2;
      }
    }
    if (!closed) return false;
    answer.body = rest;
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string in_;
};

class GatewayTest : public ProviderTest {
 protected:
  void StartGateway(const Json& keys, const Json& gateway_extra = Json::object()) {
    Json gateway = {{"listen", "127.0.0.1:0"}};
    gateway.update(gateway_extra);
    Start(keys, Json{{"gateway", gateway}});
    Json status = Json::parse(Run({"status", "--json"}).out, nullptr, false);
    ASSERT_TRUE(status["gateway_url"].is_string()) << status.dump();
    std::string url = status["gateway_url"];
    ASSERT_TRUE(url.starts_with("http://127.0.0.1:")) << url;
    port_ = std::stoi(url.substr(url.rfind(':') + 1));
  }

  // A token of this user for `env` (and only `slots` of it, if any), made
  // by `keywarden token add`, which prints it once on stdout.
  std::string AddToken(const std::string& name, const std::string& env,
                       const std::vector<std::string>& slots = {}) {
    std::vector<std::string> args = {"token", "add", name, "--env", env};
    if (!slots.empty()) {
      std::string refs;
      for (const std::string& slot : slots) refs += (refs.empty() ? "" : ",") + env + "/" + slot;
      args.insert(args.end(), {"--slots", refs});
    }
    CliResult added = Run(args);
    EXPECT_EQ(added.exit_code, 0) << added.err;
    std::string text = added.out;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    EXPECT_TRUE(text.starts_with("kwt_")) << text;
    return text;
  }

  HttpAnswer Request(const std::string& method, const std::string& target, const std::string& body,
                     const std::vector<std::string>& headers) {
    RawHttp http(port_);
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const std::string& h : headers) request += h + "\r\n";
    if (!body.empty() || method == "POST") {
      request +=
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n";
    }
    request += "\r\n" + body;
    EXPECT_TRUE(http.Send(request));
    return http.Read();
  }

  HttpAnswer Chat(const std::string& token, const std::string& model, bool stream = false) {
    Json body = {{"model", model},
                 {"max_tokens", 1},
                 {"messages", Json::array({{{"role", "user"}, {"content", "hi"}}})}};
    if (stream) body["stream"] = true;
    return Request("POST", "/p/openrouter/default/chat/completions", body.dump(),
                   {"Authorization: Bearer " + token});
  }

  // The last upstream request's key, as the fake logs it ("key:<last 4>").
  std::string LastAuth() {
    std::vector<Json> requests = Requests();
    return requests.empty() ? "" : requests.back()["auth"].get<std::string>();
  }
  static std::string AuthOf(const std::string& key) { return "key:" + key.substr(key.size() - 4); }

  std::vector<Json> Events(const std::string& action) {
    Json events = Json::parse(Run({"events", "--json"}).out, nullptr, false);
    std::vector<Json> out;
    const Json& list = events.is_object() ? events["events"] : events;
    for (const Json& e : list) {
      if (e["action"] == action) out.push_back(e);
    }
    return out;
  }

  int port_ = 0;
};

constexpr const char* kDeepSeek = "deepseek/deepseek-chat";
constexpr const char* kGemini = "google/gemini-2.5-pro-preview";

TEST_F(GatewayTest, RequestReachesTheFakeWithTheRealKey) {
  std::string key = FakeKey("openrouter");
  StartGateway({{{"key", key}, {"provider", "openrouter"}}});
  ASSERT_EQ(Add("dev/openrouter", "openrouter", kDeepSeek, key).exit_code, 0) << daemon_.Log();
  std::string token = AddToken("cline", "dev");

  HttpAnswer answer = Chat(token, kDeepSeek);
  ASSERT_EQ(answer.status, 200) << answer.head << answer.body << daemon_.Log();
  EXPECT_TRUE(answer.json()["choices"].is_array()) << answer.body;
  EXPECT_EQ(LastAuth(), AuthOf(key));
  EXPECT_EQ(Requests().back()["path"], "/api/v1/chat/completions");

  // The other places clients put a key: x-api-key and ?key= (the token
  // never goes upstream: the fake sees the real key only).
  HttpAnswer models = Request("GET", "/p/openrouter/default/models/user?key=" + token, "", {});
  EXPECT_EQ(models.status, 200) << models.body;
  EXPECT_EQ(LastAuth(), AuthOf(key));

  // One gateway event per request, naming the token, slot and model.
  std::vector<Json> events = Events("gateway");
  ASSERT_GE(events.size(), 2u);
  std::string detail = events.front()["detail"];
  EXPECT_NE(detail.find("token=cline"), std::string::npos) << detail;
  EXPECT_NE(detail.find("model=deepseek/deepseek-chat"), std::string::npos) << detail;
  EXPECT_NE(detail.find("status=200"), std::string::npos) << detail;
  EXPECT_EQ(events.front()["ref"], "dev/openrouter");

  // Canary: neither the key nor the token is in the log, the events or
  // the database file.
  std::string all_events = Run({"events", "--json"}).out;
  for (const std::string& secret : {key, token}) {
    EXPECT_EQ(daemon_.Log().find(secret), std::string::npos);
    EXPECT_EQ(all_events.find(secret), std::string::npos);
    std::ifstream db(daemon_.home() / "keywarden.db", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(secret), std::string::npos);
  }
}

TEST_F(GatewayTest, ModelRoutingSendsGeminiToTheKeyAllowedForIt) {
  std::string narrow = FakeKey("openrouter"), wide = FakeKey("openrouter"),
              denied = FakeKey("openrouter");
  StartGateway({{{"key", narrow}, {"provider", "openrouter"}, {"denied_models", {kGemini}}},
                {{"key", wide}, {"provider", "openrouter"}},
                {{"key", denied},
                 {"provider", "openrouter"},
                 {"denied_models", {kGemini}},
                 {"denial", "403"}}});
  const std::string both = std::string(kDeepSeek) + "," + kGemini;
  // dev/a is verified for DeepSeek only; dev/b for both.
  ASSERT_EQ(Add("dev/a", "openrouter", kDeepSeek, narrow).exit_code, 0) << daemon_.Log();
  ASSERT_EQ(Add("dev/b", "openrouter", both, wide).exit_code, 0) << daemon_.Log();
  std::string token = AddToken("t", "dev", {"a", "b"});

  for (int i = 0; i < 4; ++i) {
    HttpAnswer answer = Chat(token, kGemini);
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(LastAuth(), AuthOf(wide)) << "request " << i;
  }
  // DeepSeek: both keys, in turn.
  std::set<std::string> used;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Chat(token, kDeepSeek).status, 200);
    used.insert(LastAuth());
  }
  EXPECT_EQ(used, (std::set<std::string>{AuthOf(narrow), AuthOf(wide)}));

  // The first seed story: a key denied for Gemini (its validation failed).
  // A token limited to it gets the gateway's own 403, in OpenRouter's
  // (OpenAI-style) shape, naming the slot, the diagnosis and the fix.
  Add("dev/c", "openrouter", both, denied);
  std::string only_c = AddToken("only-c", "dev", {"c"});
  const size_t upstream_before = Requests().size();
  HttpAnswer refused = Chat(only_c, kGemini);
  EXPECT_EQ(refused.status, 403);
  std::string message = refused.json()["error"]["message"];
  EXPECT_TRUE(message.starts_with("keywarden: dev/c is model_denied for " + std::string(kGemini)))
      << message;
  EXPECT_NE(message.find("keywarden validate dev/c"), std::string::npos) << message;
  EXPECT_EQ(Requests().size(), upstream_before) << "nothing went upstream";

  // A model no slot checked: refused with the way to add it.
  HttpAnswer unchecked = Chat(token, "openai/gpt-4o");
  EXPECT_EQ(unchecked.status, 403);
  EXPECT_NE(unchecked.body.find("--add-model openai/gpt-4o"), std::string::npos) << unchecked.body;
}

TEST_F(GatewayTest, TokensAreCheckedAndScopedToTheirEnv) {
  std::string key = FakeKey("openrouter");
  StartGateway({{{"key", key}, {"provider", "openrouter"}}});
  ASSERT_EQ(Add("dev/openrouter", "openrouter", kDeepSeek, key).exit_code, 0);
  std::string prod = AddToken("prod-tool", "prod");

  HttpAnswer other_env = Chat(prod, kDeepSeek);
  EXPECT_EQ(other_env.status, 403);
  EXPECT_NE(other_env.body.find("keywarden: no slot of prod holds a openrouter key"),
            std::string::npos)
      << other_env.body;

  HttpAnswer unknown = Chat("kwt_not_a_token_at_all", kDeepSeek);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_TRUE(unknown.json()["error"]["message"].get<std::string>().starts_with("keywarden: "));
  HttpAnswer provider_key = Chat(key, kDeepSeek);  // a provider key is not a token
  EXPECT_EQ(provider_key.status, 401);
  HttpAnswer none = Request("POST", "/p/openrouter/default/chat/completions", "{}", {});
  EXPECT_EQ(none.status, 401);
  // Anthropic's own error shape for its routes.
  HttpAnswer anthropic =
      Request("POST", "/p/anthropic/default/messages", "{}", {"x-api-key: kwt_nope"});
  EXPECT_EQ(anthropic.status, 401);
  EXPECT_EQ(anthropic.json()["type"], "error") << anthropic.body;
  EXPECT_EQ(anthropic.json()["error"]["type"], "authentication_error");
  HttpAnswer route = Request("GET", "/v1/models", "", {});
  EXPECT_EQ(route.status, 404);
  EXPECT_EQ(fake_->Posts("openrouter"), 1) << "only the add's probe reached the fake";
}

TEST_F(GatewayTest, RefusesForeignHostsOriginsAndOversizedRequests) {
  std::string key = FakeKey("openrouter");
  StartGateway({{{"key", key}, {"provider", "openrouter"}}}, {{"max_body_bytes", 4096}});
  ASSERT_EQ(Add("dev/openrouter", "openrouter", kDeepSeek, key).exit_code, 0);
  std::string token = AddToken("t", "dev");
  const std::string auth = "Authorization: Bearer " + token;
  const std::string path = "/p/openrouter/default/chat/completions";

  {
    RawHttp http(port_);
    http.Send("GET " + path + " HTTP/1.1\r\nHost: evil.example:8370\r\n" + auth + "\r\n\r\n");
    EXPECT_EQ(http.Read().status, 421);
  }
  {
    RawHttp http(port_);
    http.Send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nOrigin: https://evil.example\r\n" +
              auth + "\r\n\r\n");
    EXPECT_EQ(http.Read().status, 403);
  }
  {
    RawHttp http(port_);
    http.Send("GET " + path +
              " HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n");
    EXPECT_EQ(http.Read().status, 431);
  }
  {
    RawHttp http(port_);
    std::string many;
    for (int i = 0; i < 150; ++i) many += "X-H" + std::to_string(i) + ": 1\r\n";
    http.Send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + many + "\r\n");
    EXPECT_EQ(http.Read().status, 431);
  }
  HttpAnswer big = Request("POST", path, std::string(5000, ' '), {auth});
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(fake_->Posts("openrouter"), 1) << "nothing refused reached the fake";
  // Still serving.
  EXPECT_EQ(Chat(token, kDeepSeek).status, 200);
}

TEST_F(GatewayTest, FailsOverOn429AndCoolsTheKeyDown) {
  std::string first = FakeKey("openrouter"), second = FakeKey("openrouter");
  StartGateway({{{"key", first}, {"provider", "openrouter"}},
                {{"key", second}, {"provider", "openrouter"}}});
  ASSERT_EQ(Add("dev/a", "openrouter", kDeepSeek, first).exit_code, 0);
  ASSERT_EQ(Add("dev/b", "openrouter", kDeepSeek, second).exit_code, 0);
  std::string token = AddToken("t", "dev");
  // From now on each key's next answer is a 429 (scripted after the adds'
  // probes used the fake).
  fake_->AddKeys({{{"key", first},
                   {"provider", "openrouter"},
                   {"script", {{{"status", 429}, {"headers", {{"retry-after", "60"}}}}}}},
                  {{"key", second}, {"provider", "openrouter"}, {"script", {429}}}});

  HttpAnswer answer = Chat(token, kDeepSeek);
  // The first key tried answered 429; the second did too; at most 3 tries,
  // only 2 keys: the last answer is relayed.
  EXPECT_EQ(answer.status, 429) << answer.body;
  EXPECT_EQ(Events("gateway_failover").size(), 1u);
  EXPECT_EQ(Events("key_cooled").size(), 2u);

  // Both cooled: they are still tried (no other key) and now answer 200.
  EXPECT_EQ(Chat(token, kDeepSeek).status, 200);
}

TEST_F(GatewayTest, FailsOverOn401AndRevalidatesTheRefusedKey) {
  std::string first = FakeKey("openrouter"), second = FakeKey("openrouter");
  StartGateway({{{"key", first}, {"provider", "openrouter"}},
                {{"key", second}, {"provider", "openrouter"}}});
  ASSERT_EQ(Add("dev/a", "openrouter", kDeepSeek, first).exit_code, 0);
  ASSERT_EQ(Add("dev/b", "openrouter", kDeepSeek, second).exit_code, 0);
  std::string token = AddToken("t", "dev");
  const int checks_before = fake_->Count("openrouter", "/key");
  // The first key's next answer is a 401 (scripted after the adds'
  // probes); two requests in turn: one of them tries it first.
  fake_->AddKeys({{{"key", first}, {"provider", "openrouter"}, {"script", {401}}}});
  int ok = 0;
  for (int i = 0; i < 2; ++i) ok += Chat(token, kDeepSeek).status == 200;
  EXPECT_EQ(ok, 2) << "the refused key's request went on to the other key";
  std::vector<Json> failovers = Events("gateway_failover");
  ASSERT_EQ(failovers.size(), 1u);
  EXPECT_EQ(failovers[0]["ref"], "dev/a");
  EXPECT_NE(failovers[0]["detail"].get<std::string>().find("status 401"), std::string::npos);
  // The refused version is re-validated now (its auth probe runs again).
  for (int i = 0; i < 100 && fake_->Count("openrouter", "/key") == checks_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GT(fake_->Count("openrouter", "/key"), checks_before);
}

TEST_F(GatewayTest, RotationReachesTheNextRequest) {
  std::string old_key = FakeKey("openrouter"), new_key = FakeKey("openrouter");
  StartGateway({{{"key", old_key}, {"provider", "openrouter"}},
                {{"key", new_key}, {"provider", "openrouter"}}});
  ASSERT_EQ(Add("dev/openrouter", "openrouter", kDeepSeek, old_key).exit_code, 0);
  std::string token = AddToken("t", "dev");
  ASSERT_EQ(Chat(token, kDeepSeek).status, 200);
  EXPECT_EQ(LastAuth(), AuthOf(old_key));

  CliResult rotated = Run({"rotate", "dev/openrouter", "--wait", "--timeout", "40s"}, new_key);
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  ASSERT_EQ(Chat(token, kDeepSeek).status, 200);
  EXPECT_EQ(LastAuth(), AuthOf(new_key));
}

TEST_F(GatewayTest, StreamsTheAnswerAsItArrives) {
  std::string key = FakeKey("openrouter");
  StartGateway({{{"key", key}, {"provider", "openrouter"}}});
  ASSERT_EQ(Add("dev/openrouter", "openrouter", kDeepSeek, key).exit_code, 0);
  std::string token = AddToken("t", "dev");
  fake_->Admin("POST", "/__admin/settings", {{"stream_hold", true}, {"stream_chunks", 3}});

  RawHttp http(port_);
  Json body = {{"model", kDeepSeek},
               {"stream", true},
               {"max_tokens", 5},
               {"messages", Json::array({{{"role", "user"}, {"content", "hi"}}})}};
  std::string text = body.dump();
  ASSERT_TRUE(
      http.Send("POST /p/openrouter/default/chat/completions HTTP/1.1\r\nHost: "
                "localhost\r\nAuthorization: Bearer " +
                token + "\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(text.size()) + "\r\n\r\n" + text));
  // The fake holds the stream before its last events: what arrives now is
  // the first part, relayed while upstream has not finished.
  std::string first;
  for (int i = 0; i < 100 && first.find("\"content\":\"ok\"") == std::string::npos; ++i) {
    first += http.ReadSome(std::chrono::milliseconds(100));
  }
  EXPECT_NE(first.find("HTTP/1.1 200"), std::string::npos) << first;
  EXPECT_NE(first.find("text/event-stream"), std::string::npos) << first;
  EXPECT_NE(first.find("\"content\":\"ok\""), std::string::npos) << first;
  EXPECT_EQ(first.find("[DONE]"), std::string::npos) << "the end came before the release";
  // The fake sends the content, then holds: once it holds, release it.
  for (int i = 0; i < 100 && fake_->Admin("GET", "/__admin/held")["held"] != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(fake_->Release(), 1);
  std::string rest;
  // Read until the chunked body's last chunk: [DONE] may come a read before it.
  for (int i = 0; i < 100 && rest.find("0\r\n\r\n") == std::string::npos; ++i) {
    rest += http.ReadSome(std::chrono::milliseconds(100));
  }
  EXPECT_NE(rest.find("[DONE]"), std::string::npos) << rest;
  EXPECT_NE(rest.find("0\r\n\r\n"), std::string::npos) << "the chunked answer ends";
}

// gateway.max_per_token: with two streams of one token held open upstream,
// a third request of that token is answered 429 at once; another token is
// not held back, and once the streams end the first token is served again.
TEST_F(GatewayTest, ATokensConcurrencyCapAnswers429WithoutHoldingOthersBack) {
  const std::string key = FakeKey("openrouter");
  StartGateway({{{"key", key}, {"provider", "openrouter"}}}, {{"max_per_token", 2}});
  ASSERT_EQ(Add("dev/openrouter", "openrouter", kDeepSeek, key).exit_code, 0);
  const std::string busy = AddToken("busy", "dev"), other = AddToken("other", "dev");
  fake_->Admin("POST", "/__admin/settings", {{"stream_hold", true}, {"stream_chunks", 2}});

  Json body = {{"model", kDeepSeek},
               {"stream", true},
               {"max_tokens", 5},
               {"messages", Json::array({{{"role", "user"}, {"content", "hi"}}})}};
  const std::string text = body.dump();
  const std::string request =
      "POST /p/openrouter/default/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Authorization: Bearer " +
      busy +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(text.size()) +
      "\r\n\r\n" + text;
  RawHttp first(port_), second(port_);
  ASSERT_TRUE(first.Send(request));
  ASSERT_TRUE(second.Send(request));
  // Both are running once their response headers came through.
  for (RawHttp* http : {&first, &second}) {
    std::string head;
    for (int i = 0; i < 100 && head.find("200") == std::string::npos; ++i) {
      head += http->ReadSome(std::chrono::milliseconds(100));
    }
    ASSERT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  }
  // And both are held at the fake (not yet ended by a stray release).
  for (int i = 0; i < 100 && fake_->Admin("GET", "/__admin/held")["held"] != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(fake_->Admin("GET", "/__admin/held")["held"], 2);

  HttpAnswer refused = Chat(busy, kDeepSeek);
  EXPECT_EQ(refused.status, 429) << refused.head << refused.body;
  EXPECT_NE(refused.body.find("keywarden:"), std::string::npos) << refused.body;
  EXPECT_EQ(Chat(other, kDeepSeek).status, 200) << "another token is not capped by this one";

  fake_->Release();
  for (RawHttp* http : {&first, &second}) {
    std::string rest;
    for (int i = 0; i < 100 && rest.find("0\r\n\r\n") == std::string::npos; ++i) {
      rest += http->ReadSome(std::chrono::milliseconds(100));
    }
    EXPECT_NE(rest.find("[DONE]"), std::string::npos) << rest;
  }
  fake_->Admin("POST", "/__admin/settings", {{"stream_hold", false}});
  EXPECT_EQ(Chat(busy, kDeepSeek).status, 200) << "the cap frees as requests end";
}

TEST_F(GatewayTest, NonLoopbackListenIsAConfigErrorNamingTheField) {
  WriteConfig(daemon_.home(), Json{{"gateway", {{"listen", "0.0.0.0:8370"}}}});
  CliResult failed = daemon_.StartExpectingFailure();
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE((failed.out + failed.err + daemon_.Log()).find("gateway.listen"), std::string::npos)
      << failed.err;
}

}  // namespace
}  // namespace keywarden::testing
