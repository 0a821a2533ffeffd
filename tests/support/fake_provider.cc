#include "support/fake_provider.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <thread>

#include "support/files.h"

namespace keywarden::testing {
namespace {

Json ProvidersAt(const std::function<std::string(const std::string&)>& base) {
  return {{"openrouter", {{"endpoints", {{"default", base("openrouter/api/v1")}}}}},
          {"mistral",
           {{"endpoints", {{"general", base("mistral/v1")}, {"codestral", base("codestral/v1")}}}}},
          {"gemini", {{"endpoints", {{"default", base("gemini/v1beta")}}}}},
          {"openai", {{"endpoints", {{"default", base("openai/v1")}}}}},
          {"anthropic", {{"endpoints", {{"default", base("anthropic/v1")}}}}},
          {"deepseek", {{"endpoints", {{"default", base("deepseek")}}}}}};
}

std::string Random(size_t n, std::string_view alphabet) {
  static std::mt19937_64 rng(std::random_device{}());
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(alphabet[rng() % alphabet.size()]);
  return out;
}

std::string RandomHex(size_t n) { return Random(n, "0123456789abcdef"); }

std::string RandomAlnum(size_t n) {
  return Random(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}

}  // namespace

FakeProvider::FakeProvider(const Json& scenario, const std::vector<std::string>& flags,
                           const std::string& script) {
  const std::filesystem::path scenario_file = dir_.path() / "scenario.json";
  const std::filesystem::path port_file = dir_.path() / "port";
  const std::filesystem::path log = dir_.path() / "fake.log";
  std::ofstream(scenario_file) << scenario.dump();
  std::vector<std::string> argv = {
      "python3",
      script.empty() ? std::string(KW_SOURCE_DIR) + "/tests/fake_provider/fake_provider.py"
                     : script,
      "--port",
      "0",
      "--port-file",
      port_file.string(),
      "--scenario",
      scenario_file.string()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  process_ = std::make_unique<Background>(argv, std::vector<std::string>{}, log);
  for (int i = 0; i < 500 && port_ == 0; ++i) {
    std::ifstream in(port_file);
    if (!(in >> port_)) port_ = 0;
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (port_ == 0) throw std::runtime_error("fake provider did not start: " + ReadFile(log));
}

std::string FakeProvider::BaseUrl(const std::string& host_segment) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + host_segment;
}

Json FakeProvider::Admin(const std::string& method, const std::string& path,
                         const Json& body) const {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot reach the fake provider");
  }
  const std::string payload = body.is_null() ? "" : body.dump();
  const std::string request =
      method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(payload.size()) +
      "\r\n\r\n" + payload;
  (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buffer[65536];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
    response.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t split = response.find("\r\n\r\n");
  if (split == std::string::npos) return Json(Json::value_t::discarded);
  return Json::parse(response.substr(split + 4), nullptr, false);
}

void FakeProvider::AddKeys(const Json& keys) { Admin("POST", "/__admin/keys", {{"keys", keys}}); }

void FakeProvider::Fail(const std::string& key, const Json& item) {
  const Json reply = Admin("POST", "/__admin/fail", {{"key", key}, {"fail", item}});
  if (!reply.is_object() || !reply.contains("ok"))
    throw std::runtime_error("fake provider refused the failure: " + reply.dump());
}

int FakeProvider::Release() {
  const Json reply = Admin("POST", "/__admin/release", Json::object());
  return reply.is_object() ? reply.value("released", 0) : 0;
}

Json FakeProvider::Log() const { return Admin("GET", "/__admin/log"); }

int FakeProvider::Count(const std::string& host, const std::string& path_contains) const {
  int n = 0;
  const Json log = Log();  // a named copy: the loop must not iterate a destroyed temporary
  for (const Json& r : log["requests"]) {
    if (r["host"] == host && r["path"].get<std::string>().find(path_contains) != std::string::npos)
      ++n;
  }
  return n;
}

int FakeProvider::Posts(const std::string& host) const {
  int n = 0;
  const Json log = Log();  // a named copy: the loop must not iterate a destroyed temporary
  for (const Json& r : log["requests"]) {
    if (r["host"] == host && r["method"] == "POST") ++n;
  }
  return n;
}

Json FakeProvider::Endpoints(const Json& extra) const {
  Json config = {
      {"providers", ProvidersAt([this](const std::string& segment) { return BaseUrl(segment); })}};
  config.merge_patch(extra);
  return config;
}

Json FakeProvider::Config(const Json& extra) const {
  Json config =
      Endpoints({{"validation", {{"retry_min", "1s"}, {"retry_max", "2s"}, {"timeout", "5s"}}}});
  config.merge_patch(extra);
  return config;
}

Json OfflineConfig() {
  return {{"providers", ProvidersAt([](const std::string& segment) {
             return "http://127.0.0.1:9/" + segment;
           })}};
}

std::string FakeKey(const std::string& provider) {
  if (provider == "openrouter") return "sk-or-v1-" + RandomHex(64);
  if (provider == "mistral") return RandomAlnum(32);
  if (provider == "deepseek") return "sk-" + RandomHex(32);
  if (provider == "gemini") return "AIzaSy" + RandomAlnum(33);
  if (provider == "anthropic") return "sk-ant-api03-" + RandomAlnum(93) + "AA";
  if (provider == "openai") return "sk-proj-" + RandomAlnum(74) + "T3BlbkFJ" + RandomAlnum(74);
  return "kw-test-" + RandomAlnum(40);
}

}  // namespace keywarden::testing
