#include "fixture.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "keywarden/client.h"

namespace keywarden::bench {

OneSlotBench::OneSlotBench(const std::string& prefix, int slots)
    : dir_(prefix), secret_(testing::FakeKey("deepseek")), daemon_(dir_.path() / "home") {
  fake_ = std::make_unique<testing::FakeProvider>(
      Json{{"keys", {{{"key", secret_}, {"provider", "deepseek"}}}}});
  testing::WriteConfig(home(), fake_->Endpoints({{"validation", {{"revalidate_every", "30d"}}}}));
  std::string why;
  if (!daemon_.Start({}, &why)) throw std::runtime_error("keywardend did not start: " + why);
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

}  // namespace keywarden::bench
