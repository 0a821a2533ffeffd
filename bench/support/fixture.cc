#include "fixture.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

namespace keywarden::bench {

FakeProvider::FakeProvider(const std::filesystem::path& dir, const Json& scenario,
                           const std::vector<std::string>& flags, const std::string& script) {
  std::ofstream(dir / "scenario.json") << scenario.dump();
  std::vector<std::string> argv = {
      "python3",
      script.empty() ? std::string(KW_SOURCE_DIR) + "/tests/fake_provider/fake_provider.py"
                     : script,
      "--port",
      "0",
      "--port-file",
      (dir / "port").string(),
      "--scenario",
      (dir / "scenario.json").string()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  process_ = std::make_unique<Background>(argv, std::vector<std::string>{}, dir / "fake.log");
  for (int i = 0; i < 500 && port_ == 0; ++i) {
    std::ifstream in(dir / "port");
    if (!(in >> port_)) port_ = 0;
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (port_ == 0)
    throw std::runtime_error("fake provider did not start: " + ReadFile(dir / "fake.log"));
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
  std::string payload = body.is_null() ? "" : body.dump();
  std::string request = fmt::format(
      "{} {} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\n\r\n{}",
      method, path, payload.size(), payload);
  (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buffer[65536];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0)
    response.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  size_t split = response.find("\r\n\r\n");
  if (split == std::string::npos) return nullptr;
  return Json::parse(response.substr(split + 4), nullptr, false);
}

std::string FakeProvider::BaseUrl(const std::string& host_segment) const {
  return fmt::format("http://127.0.0.1:{}/{}", port_, host_segment);
}

Json FakeProvider::Config(const Json& extra) const {
  auto base = [this](const std::string& segment) { return BaseUrl(segment); };
  Json config = {
      {"providers",
       {{"openrouter", {{"endpoints", {{"default", base("openrouter/api/v1")}}}}},
        {"mistral",
         {{"endpoints", {{"general", base("mistral/v1")}, {"codestral", base("codestral/v1")}}}}},
        {"gemini", {{"endpoints", {{"default", base("gemini/v1beta")}}}}},
        {"openai", {{"endpoints", {{"default", base("openai/v1")}}}}},
        {"anthropic", {{"endpoints", {{"default", base("anthropic/v1")}}}}},
        {"deepseek", {{"endpoints", {{"default", base("deepseek")}}}}}}}};
  config.merge_patch(extra);
  return config;
}

bool Daemon::Start(std::string* why) {
  std::filesystem::create_directories(home_);
  process_ = std::make_unique<Background>(
      std::vector<std::string>{KW_DAEMON_PATH, "--home", home_.string()},
      std::vector<std::string>{}, home_ / "daemon.log");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Alive()) {
      if (why) *why = ReadFile(home_ / "daemon.log");
      process_.reset();
      return false;
    }
    if (auto client = Connect(std::chrono::seconds(2))) {
      if (client->Call("status")) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (why) *why = "timed out; log:\n" + ReadFile(home_ / "daemon.log");
  process_.reset();
  return false;
}

OneSlotBench::OneSlotBench(const std::string& prefix, int slots)
    : dir_(prefix), secret_(DeepSeekKey(0)), daemon_(dir_.path() / "home") {
  std::filesystem::create_directories(dir() / "fake");
  fake_ = std::make_unique<FakeProvider>(
      dir() / "fake", Json{{"keys", {{{"key", secret_}, {"provider", "deepseek"}}}}},
      std::vector<std::string>{});
  WriteConfig(home(), fake_->Config({{"validation", {{"revalidate_every", "30d"}}}}));
  std::string why;
  if (!daemon_.Start(&why)) throw std::runtime_error("keywardend did not start: " + why);
  Result<Client> client = daemon_.Connect();
  if (!client) throw std::runtime_error("connect: " + client.error().message);
  refs_.push_back(kRef);
  for (int i = 1; i < slots; ++i) refs_.push_back(std::string(kRef) + "-" + std::to_string(i));
  for (const std::string& ref : refs_) {
    Result<Json> added = client->Call("slot.add", {{"ref", ref},
                                                   {"provider", "deepseek"},
                                                   {"models", {"deepseek-chat"}},
                                                   {"secret", secret_}});
    if (!added) throw std::runtime_error("slot.add: " + added.error().message);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10 + slots / 50);
  for (const std::string& ref : refs_) {
    for (;;) {
      Result<Json> shown = client->Call("slot.show", {{"ref", ref}});
      if (shown && (*shown)["slot"].value("usable", false)) break;
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error(ref + " did not become usable in time");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void WriteConfig(const std::filesystem::path& home, const Json& config) {
  std::filesystem::create_directories(home);
  std::filesystem::permissions(home, std::filesystem::perms::owner_all);
  std::ofstream(home / "config.json") << config.dump(2);
}

std::string DeepSeekKey(int n) {
  static const uint64_t salt = std::random_device{}();
  std::mt19937_64 rng(salt ^ (static_cast<uint64_t>(n) * 0x9E3779B97F4A7C15ULL));
  return fmt::format("sk-{:016x}{:016x}", rng(), rng());
}

}  // namespace keywarden::bench
