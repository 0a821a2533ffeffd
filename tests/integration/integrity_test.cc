// Stored secrets that fail their integrity check, through the real daemon:
// a damaged envelope, two versions' (uuid, envelope) pairs swapped, and a
// database written in envelope format 1 upgraded at start. The database is
// edited with the sqlite3 program, as an attacker or a bad disk would.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "integration/provider_fixture.h"
#include "keywarden/crypto.h"

namespace keywarden::testing {
namespace {

std::string Hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

Bytes Unhex(std::string_view text) {
  Bytes out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

class IntegrityTest : public ProviderTest {
 protected:
  void SetUp() override {
    if (RunProgram("/bin/sh", {"-c", "command -v sqlite3"}).exit_code != 0) {
      GTEST_SKIP() << "needs the sqlite3 program";
    }
  }

  // Starts the fake with one key of each name and the daemon with a
  // notify.command that appends each notification to notified_.
  void StartWith(const std::vector<std::string>& keys) {
    Json list = Json::array();
    for (const std::string& k : keys) list.push_back({{"key", k}, {"provider", "openrouter"}});
    Start(list, {{"notify", {{"command", {"/bin/sh", "-c", "cat >> " + notified_.string()}}}}});
  }

  CliResult Add(const std::string& ref, const std::string& key) {
    return Run({"add", ref, "--provider", "openrouter", "--models", "deepseek/deepseek-chat",
                "--wait", "--timeout", "40s"},
               key);
  }

  // Runs SQL on the daemon's database; returns its output, trimmed.
  std::string Sql(const std::string& sql) {
    CliResult r = RunProgram("/bin/sh", {"-c", "sqlite3 \"$0\" \"$1\"",
                                         (daemon_.home() / "keywarden.db").string(), sql});
    EXPECT_EQ(r.exit_code, 0) << sql << ": " << r.err;
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }

  // Flips one bit of the ciphertext of `version` of the slot.
  void DamageEnvelope(int version) {
    Sql("UPDATE versions SET envelope = substr(envelope, 1, 30) || "
        "CASE WHEN substr(envelope, 31, 1) = x'00' THEN x'01' ELSE x'00' END || "
        "substr(envelope, 32) WHERE number = " +
        std::to_string(version));
  }

  static bool HasDiagnosis(const Json& version, const std::string& code) {
    for (const Json& d : version["diagnoses"]) {
      if (d["code"] == code) return true;
    }
    return false;
  }

  std::string Notified() const {
    std::ifstream in(notified_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Waits up to 10 s for notify.command to have written `needle`.
  bool WaitNotified(const std::string& needle) {
    for (int i = 0; i < 100; ++i) {
      if (Notified().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  int CountEvents(const std::string& action, const std::string& detail) {
    CliResult r = Run({"events", "--json"});
    Json events = Json::parse(r.out, nullptr, false);
    int n = 0;
    for (const Json& e : events) {
      n += e.value("action", "") == action && e.value("detail", "") == detail;
    }
    return n;
  }

  // The data key, unwrapped with the master key file as the daemon does.
  SecretBuffer DataKey() {
    Result<SecretBuffer> master = ReadMasterKey(daemon_.home() / "master.key");
    EXPECT_TRUE(master) << master.error().message;
    Result<SecretBuffer> data =
        UnwrapKey(*master, Unhex(Sql("SELECT hex(wrapped) FROM data_keys WHERE version = 1")), 1);
    EXPECT_TRUE(data) << data.error().message;
    return std::move(*data);
  }

  // Replaces the envelope of `version` of the only slot by `secret` sealed
  // as keywarden sealed secrets before format 2 (version byte 1, the row
  // binding without slot id and version number).
  void WriteFormat1Envelope(int version, const std::string& secret) {
    std::string row =
        Sql("SELECT v.uuid || '|' || s.env || '/' || s.name || '|' || s.provider FROM versions v "
            "JOIN slots s ON s.id = v.slot_id WHERE v.number = " +
            std::to_string(version));
    RowBinding binding;
    std::stringstream fields(row);
    std::getline(fields, binding.version_uuid, '|');
    std::getline(fields, binding.slot_ref, '|');
    std::getline(fields, binding.provider, '|');
    Bytes envelope = Seal(DataKey(), secret, LegacyBindingData(binding), kEnvelopeVersion);
    Sql("UPDATE versions SET envelope = x'" + Hex(envelope) +
        "' WHERE number = " + std::to_string(version));
  }

  std::filesystem::path notified_ = dir_.path() / "notified.jsonl";
};

// Issue 18 item 8: a damaged envelope used to leave the version verified and
// usable, with `validate --wait` exiting 0 and no further checks.
TEST_F(IntegrityTest, DamagedEnvelopeFailsTheVersionOnValidate) {
  std::string key = FakeKey("openrouter");
  StartWith({key});
  ASSERT_EQ(Add("dev/openrouter", key).exit_code, 0) << daemon_.Log();
  daemon_.Stop();
  DamageEnvelope(1);
  std::string why;
  ASSERT_TRUE(daemon_.Start({}, &why)) << why;

  CliResult validated = Run({"validate", "dev/openrouter", "--wait", "--timeout", "40s"});
  EXPECT_EQ(validated.exit_code, 3) << validated.out << validated.err;
  EXPECT_NE(validated.out.find("integrity"), std::string::npos) << validated.out;

  Json slot = Show("dev/openrouter");
  const Json& version = slot["versions"][0];
  EXPECT_EQ(version["state"], "failed");
  EXPECT_EQ(slot["usable"], false);
  EXPECT_TRUE(HasDiagnosis(version, "integrity")) << slot.dump();
  EXPECT_TRUE(version["next_check_at"].is_null());
  EXPECT_EQ(CountEvents("failed", "integrity"), 1);
  EXPECT_TRUE(WaitNotified("\"integrity\"")) << Notified();

  CliResult got = Run({"get", "dev/openrouter"});
  EXPECT_NE(got.exit_code, 0);
  EXPECT_EQ(got.out, "");
  EXPECT_NE(got.err.find("integrity"), std::string::npos) << got.err;
  EXPECT_EQ(daemon_.Log().find(key), std::string::npos);
}

// The same damage found by a get, beside the running daemon: the get fails
// with a clear error and the version is failed at once, not at its next check.
TEST_F(IntegrityTest, GetOfADamagedSecretRefusesAndFailsTheVersion) {
  std::string key = FakeKey("openrouter");
  StartWith({key});
  ASSERT_EQ(Add("dev/openrouter", key).exit_code, 0) << daemon_.Log();
  ASSERT_EQ(Run({"get", "dev/openrouter"}).out, key);
  DamageEnvelope(1);

  CliResult got = Run({"get", "dev/openrouter"});
  EXPECT_NE(got.exit_code, 0);
  EXPECT_EQ(got.out, "");
  EXPECT_NE(got.err.find("failed its integrity check"), std::string::npos) << got.err;

  Json slot = Show("dev/openrouter");
  EXPECT_EQ(slot["versions"][0]["state"], "failed");
  EXPECT_TRUE(HasDiagnosis(slot["versions"][0], "integrity")) << slot.dump();
  EXPECT_EQ(slot["usable"], false);
  EXPECT_EQ(CountEvents("failed", "integrity"), 1);
  EXPECT_TRUE(WaitNotified("\"integrity\"")) << Notified();
  // Later gets are refused as not usable, without another event.
  CliResult again = Run({"get", "dev/openrouter"});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_EQ(CountEvents("failed", "integrity"), 1);
}

// Issue 18 item 10: swapping the (uuid, envelope) pairs of a slot's retired
// and current versions used to serve the retired key as the current one.
TEST_F(IntegrityTest, SwappedVersionRowsAreNeverServed) {
  std::string old_key = FakeKey("openrouter"), new_key = FakeKey("openrouter");
  StartWith({old_key, new_key});
  ASSERT_EQ(Add("dev/openrouter", old_key).exit_code, 0) << daemon_.Log();
  CliResult rotated = Run({"rotate", "dev/openrouter", "--wait", "--timeout", "40s"}, new_key);
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err << daemon_.Log();
  ASSERT_EQ(Run({"get", "dev/openrouter"}).out, new_key);
  daemon_.Stop();
  // Each row takes the other's uuid and envelope; uuid is UNIQUE, so in
  // three steps through a placeholder.
  Sql("CREATE TEMP TABLE keep AS SELECT number, uuid, envelope FROM versions;"
      "UPDATE versions SET uuid = 'swap-' || uuid;"
      "UPDATE versions SET (uuid, envelope) = (SELECT k.uuid, k.envelope FROM keep k "
      "WHERE k.number = 3 - versions.number);");
  std::string why;
  ASSERT_TRUE(daemon_.Start({}, &why)) << why;

  CliResult got = Run({"get", "dev/openrouter"});
  EXPECT_NE(got.exit_code, 0);
  EXPECT_EQ(got.out.find(old_key), std::string::npos) << "the retired key was served";
  EXPECT_EQ(got.out, "");
  EXPECT_NE(got.err.find("integrity"), std::string::npos) << got.err;
  Json slot = Show("dev/openrouter");
  EXPECT_EQ(slot["versions"][1]["state"], "failed") << slot.dump();
  EXPECT_TRUE(HasDiagnosis(slot["versions"][1], "integrity")) << slot.dump();
  EXPECT_EQ(CountEvents("failed", "integrity"), 1);
}

// A database written before format 2 is rewrapped at start, in place, and
// serves the same secrets; a format-1 envelope written into it afterwards
// is refused, not upgraded.
TEST_F(IntegrityTest, Format1DatabaseIsRewrappedAtStartAndStillServed) {
  std::string key = FakeKey("openrouter");
  StartWith({key});
  ASSERT_EQ(Add("dev/openrouter", key).exit_code, 0) << daemon_.Log();
  daemon_.Stop();
  ASSERT_EQ(Sql("SELECT value FROM meta WHERE key = 'secrets.format'"), "2");
  WriteFormat1Envelope(1, key);
  Sql("UPDATE meta SET value = '1' WHERE key = 'secrets.format'");
  ASSERT_EQ(Sql("SELECT hex(substr(envelope, 1, 1)) FROM versions"), "01");

  std::string why;
  ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  EXPECT_EQ(Sql("SELECT hex(substr(envelope, 1, 1)) FROM versions"), "02");
  EXPECT_EQ(Sql("SELECT value FROM meta WHERE key = 'secrets.format'"), "2");
  EXPECT_NE(daemon_.Log().find("upgraded to envelope format 2"), std::string::npos);
  CliResult got = Run({"get", "dev/openrouter"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, key);

  daemon_.Stop();
  WriteFormat1Envelope(1, key);
  ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  EXPECT_EQ(Sql("SELECT hex(substr(envelope, 1, 1)) FROM versions"), "01");
  got = Run({"get", "dev/openrouter"});
  EXPECT_NE(got.exit_code, 0);
  EXPECT_EQ(got.out, "");
  EXPECT_NE(got.err.find("integrity"), std::string::npos) << got.err;
}

}  // namespace
}  // namespace keywarden::testing
