#include "integration/fake_provider.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <thread>

#include "integration/harness.h"

namespace keywarden::testing {

FakeProvider::FakeProvider(const Json& scenario, const std::string& extra_flag) {
  char pattern[] = "/tmp/kwfake-XXXXXX";
  dir_ = ::mkdtemp(pattern);
  std::ofstream(dir_ / "scenario.json") << scenario.dump();
  std::string script = std::string(KW_SOURCE_DIR) + "/tests/fake_provider/fake_provider.py";
  std::string port_file = (dir_ / "port").string();
  std::string scenario_file = (dir_ / "scenario.json").string();
  std::string log = (dir_ / "fake.log").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stderr);
    (void)out;
    std::vector<const char*> argv = {"python3",    script.c_str(),       "--port",
                                     "0",          "--port-file",        port_file.c_str(),
                                     "--scenario", scenario_file.c_str()};
    if (!extra_flag.empty()) argv.push_back(extra_flag.c_str());
    argv.push_back(nullptr);
    ::execvp("python3", const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  for (int i = 0; i < 500 && port_ == 0; ++i) {
    std::ifstream in(port_file);
    if (!(in >> port_)) port_ = 0;
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (port_ == 0) throw std::runtime_error("fake provider did not start: " + ReadFile(log));
}

FakeProvider::~FakeProvider() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string FakeProvider::BaseUrl(const std::string& host_segment) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + host_segment;
}

std::string FakeProvider::Request(const std::string& method, const std::string& path,
                                  const std::string& body) const {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot reach the fake provider");
  }
  std::string request =
      method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buffer[8192];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0)
    response.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  size_t split = response.find("\r\n\r\n");
  return split == std::string::npos ? "" : response.substr(split + 4);
}

void FakeProvider::AddKeys(const Json& keys) {
  Request("POST", "/__admin/keys", Json{{"keys", keys}}.dump());
}

Json FakeProvider::Log() const {
  return Json::parse(Request("GET", "/__admin/log", ""), nullptr, false);
}

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

}  // namespace

Json OfflineConfig() {
  return {{"providers", ProvidersAt([](const std::string& segment) {
             return "http://127.0.0.1:9/" + segment;
           })}};
}

Json FakeProvider::Config(const Json& extra) const {
  Json config = {
      {"providers", ProvidersAt([this](const std::string& segment) { return BaseUrl(segment); })},
      {"validation", {{"retry_min", "1s"}, {"retry_max", "2s"}, {"timeout", "5s"}}}};
  config.merge_patch(extra);
  return config;
}

void WriteConfig(const std::filesystem::path& home, const Json& config) {
  std::filesystem::create_directories(home);
  std::ofstream(home / "config.json") << config.dump(2);
}

}  // namespace keywarden::testing
