// Passphrase mode and rekey through the real daemon and CLI: sealed start,
// first unlock, seal/unlock round trips, a wrong passphrase, passphrase
// rekey across a restart, raised KDF parameters, and file-mode rekey with
// both crash points of its rename.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "integration/harness.h"
#include "keywarden/client.h"
#include "keywarden/crypto.h"
#include "keywarden/store.h"
#include "support/fake_provider.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassphrase = "correct horse battery";

class VaultTest : public ::testing::Test {
 protected:
  // The fake provider verifies `key_`, so that `get` proves the data key
  // still opens the stored secret after every step.
  void Start(const Json& config_extra = Json::object()) {
    fake_ = std::make_unique<FakeProvider>(
        Json{{"keys", {{{"key", key_}, {"provider", "openrouter"}}}}});
    WriteConfig(daemon_.home(), fake_->Config(config_extra));
    Restart();
  }
  void Restart() {
    daemon_.Stop();
    std::string why;
    ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  }

  CliResult Unlock(const std::string& passphrase) {
    return daemon_.Cli({"unlock"}, {.stdin_data = passphrase + "\n"});
  }
  void AddVerified() {
    CliResult r = daemon_.Cli({"add", "dev/or", "--provider", "openrouter", "--models",
                               "deepseek/deepseek-chat", "--wait", "--timeout", "30s"},
                              {.stdin_data = key_});
    ASSERT_EQ(r.exit_code, 0) << r.err << daemon_.Log();
  }
  void ExpectServed() {
    CliResult got = daemon_.Cli({"get", "dev/or"});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    EXPECT_EQ(got.out, key_);
  }
  bool Sealed() {
    CliResult r = daemon_.Cli({"status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out)["sealed"] == true;
  }

  std::string key_ = FakeKey("openrouter");
  TempDir dir_;
  Daemon daemon_{dir_.path() / "home"};
  std::unique_ptr<FakeProvider> fake_;
};

TEST_F(VaultTest, PassphraseModeStartsSealedAndAnswersOnlyStatusAndUnlock) {
  Start({{"unlock", "passphrase"}});
  CliResult status = daemon_.Cli({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(Json::parse(status.out)["sealed"], true);
  EXPECT_EQ(Json::parse(status.out)["master_key"], "passphrase");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"list"}, {"get", "dev/or"}, {"events"}, {"rekey"}}) {
    CliResult r = daemon_.Cli(args, {.stdin_data = "x\ny\n"});
    EXPECT_EQ(r.exit_code, 5) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("sealed"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(daemon_.home() / "master.key"));

  // The first unlock chooses the passphrase (from stdin, taken as given).
  CliResult short_one = Unlock("short");
  EXPECT_EQ(short_one.exit_code, 1);
  EXPECT_NE(short_one.err.find("shorter than 8"), std::string::npos) << short_one.err;
  EXPECT_TRUE(Sealed());
  CliResult first = Unlock(kPassphrase);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "passphrase set; keywardend is unlocked\n");
  EXPECT_FALSE(Sealed());
  EXPECT_EQ(daemon_.Cli({"list"}).exit_code, 0);
}

TEST_F(VaultTest, SealAndUnlockRoundTripAndAWrongPassphraseStaysSealed) {
  Start({{"unlock", "passphrase"}});
  ASSERT_EQ(Unlock(kPassphrase).exit_code, 0);
  AddVerified();
  ExpectServed();

  CliResult sealed = daemon_.Cli({"seal"});
  ASSERT_EQ(sealed.exit_code, 0) << sealed.err;
  EXPECT_TRUE(Sealed());
  EXPECT_EQ(daemon_.Cli({"get", "dev/or"}).exit_code, 5);
  EXPECT_EQ(daemon_.Cli({"seal"}).out, "keywardend is already sealed\n");

  CliResult wrong = Unlock("not the passphrase");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("keywarden: error: wrong passphrase"), std::string::npos) << wrong.err;
  EXPECT_TRUE(Sealed());
  EXPECT_EQ(daemon_.Cli({"get", "dev/or"}).exit_code, 5);

  ASSERT_EQ(Unlock(kPassphrase).exit_code, 0);
  ExpectServed();
  std::string events = daemon_.Cli({"events", "--json"}).out;
  for (const char* action : {"\"seal\"", "\"unlock_failed\"", "\"unlock\""}) {
    EXPECT_NE(events.find(action), std::string::npos) << action;
  }
  EXPECT_EQ(events.find("not the passphrase"), std::string::npos);
}

TEST_F(VaultTest, KeyDerivationRunsOffTheEventLoop) {
  Start({{"unlock", "passphrase"}});
  ASSERT_EQ(Unlock(kPassphrase).exit_code, 0);
  ASSERT_EQ(daemon_.Cli({"seal"}).exit_code, 0);
  using Clock = std::chrono::steady_clock;
  Clock::duration unlock_took{};
  std::thread unlocker([&] {
    Clock::time_point start = Clock::now();
    Result<Client> client = Client::Connect(daemon_.socket());
    if (client) (void)client->Call("unlock", {{"passphrase", kPassphrase}});
    unlock_took = Clock::now() - start;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  Clock::time_point start = Clock::now();
  Result<Client> client = Client::Connect(daemon_.socket());
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->Call("status"));
  Clock::duration status_took = Clock::now() - start;
  unlocker.join();
  // Argon2id at 256 MiB takes a few hundred milliseconds; status meanwhile
  // is answered at once rather than after it.
  EXPECT_LT(status_took * 3, unlock_took);
  EXPECT_FALSE(Sealed());
}

TEST_F(VaultTest, PassphraseRekeyHoldsAcrossARestart) {
  Start({{"unlock", "passphrase"}});
  ASSERT_EQ(Unlock(kPassphrase).exit_code, 0);
  AddVerified();
  CliResult wrong = daemon_.Cli({"rekey"}, {.stdin_data = "guess guess\nnew passphrase 2\n"});
  EXPECT_NE(wrong.err.find("wrong passphrase"), std::string::npos) << wrong.err;
  CliResult rekey =
      daemon_.Cli({"rekey"}, {.stdin_data = std::string(kPassphrase) + "\nnew passphrase 2\n"});
  ASSERT_EQ(rekey.exit_code, 0) << rekey.err;
  ExpectServed();  // the data key itself did not change

  Restart();
  EXPECT_TRUE(Sealed());
  EXPECT_NE(Unlock(kPassphrase).err.find("wrong passphrase"), std::string::npos);
  ASSERT_EQ(Unlock("new passphrase 2").exit_code, 0);
  ExpectServed();

  // A passphrase database refuses to start as a key-file one.
  daemon_.Stop();
  WriteConfig(daemon_.home(), fake_->Config());
  CliResult refused = daemon_.StartExpectingFailure();
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("protected by a passphrase"), std::string::npos) << refused.err;
}

TEST_F(VaultTest, WeakerStoredKdfParametersAreRaisedOnUnlock) {
  Start({{"unlock", "passphrase"}});
  ASSERT_EQ(Unlock(kPassphrase).exit_code, 0);
  AddVerified();
  daemon_.Stop();
  {
    // Rewrap as an older keywarden might have: INTERACTIVE cost.
    auto store = OpenSqliteStore(daemon_.home() / "keywarden.db");
    ASSERT_TRUE(store);
    Bytes wrapped = *(*store)->GetWrappedDataKey(1).value();
    KdfParams moderate = *(*store)->GetKdfParams().value();
    SecretBuffer passphrase = SecretBuffer::Copy(kPassphrase);
    SecretBuffer data_key = *UnwrapKey(*DeriveMasterKey(passphrase, moderate), wrapped, 1);
    KdfParams weak = DefaultKdfParams();
    weak.opslimit = 2;
    weak.memlimit = 64 << 20;
    Bytes rewrapped = WrapKey(*DeriveMasterKey(passphrase, weak), data_key, 1);
    ASSERT_TRUE((*store)->SwapWrappedDataKey(1, wrapped, rewrapped, weak));
  }
  Restart();
  Result<Client> client = Client::Connect(daemon_.socket());
  ASSERT_TRUE(client);
  Result<Json> unlocked = client->Call("unlock", {{"passphrase", kPassphrase}});
  ASSERT_TRUE(unlocked) << unlocked.error().message;
  EXPECT_EQ((*unlocked)["upgraded"], true);
  ExpectServed();
  daemon_.Stop();
  auto store = OpenSqliteStore(daemon_.home() / "keywarden.db");
  ASSERT_TRUE(store);
  EXPECT_TRUE(KdfParamsCurrent(*(*store)->GetKdfParams().value()));
}

TEST_F(VaultTest, FileModeRekeyReplacesTheKeyFileAndTheModesDoNotMix) {
  Start();
  AddVerified();
  const fs::path key_file = daemon_.home() / "master.key";
  std::string before = ReadFile(key_file);
  EXPECT_NE(daemon_.Cli({"seal"}).err.find("master key file"), std::string::npos);
  CliResult rekey = daemon_.Cli({"rekey"});
  ASSERT_EQ(rekey.exit_code, 0) << rekey.err;
  EXPECT_EQ(rekey.out, "rekeyed: new master key in " + key_file.string() + "\n");
  EXPECT_NE(ReadFile(key_file), before);
  EXPECT_EQ(ReadFile(key_file).size(), kKeyBytes);
  EXPECT_FALSE(fs::exists(key_file.string() + ".new"));
  Restart();
  ExpectServed();

  // A database kept by a key file refuses a passphrase config, and back.
  daemon_.Stop();
  WriteConfig(daemon_.home(), fake_->Config({{"unlock", "passphrase"}}));
  CliResult refused = daemon_.StartExpectingFailure();
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("wrapped by a master key file"), std::string::npos) << refused.err;
}

TEST_F(VaultTest, AnInterruptedFileRekeyIsSettledAtStart) {
  Start();
  AddVerified();
  const fs::path key_file = daemon_.home() / "master.key";
  const fs::path pending = key_file.string() + ".new";
  std::string old_key = ReadFile(key_file);
  ASSERT_EQ(daemon_.Cli({"rekey"}).exit_code, 0);
  std::string new_key = ReadFile(key_file);
  daemon_.Stop();

  // Killed after the commit, before the rename: the new key is still in
  // master.key.new and the old one in master.key.
  fs::rename(key_file, pending);
  std::ofstream(key_file, std::ios::binary) << old_key;
  fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write);
  Restart();
  EXPECT_NE(daemon_.Log().find("finished an interrupted rekey"), std::string::npos);
  EXPECT_EQ(ReadFile(key_file), new_key);
  EXPECT_FALSE(fs::exists(pending));
  ExpectServed();

  // Killed before the commit: master.key.new is a key nobody used.
  daemon_.Stop();
  std::ofstream(pending, std::ios::binary) << std::string(kKeyBytes, 'k');
  fs::permissions(pending, fs::perms::owner_read | fs::perms::owner_write);
  Restart();
  EXPECT_FALSE(fs::exists(pending));
  EXPECT_EQ(ReadFile(key_file), new_key);
  ExpectServed();
}

}  // namespace
}  // namespace keywarden::testing
