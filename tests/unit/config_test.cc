// config.json parsing, durations and file locations.
#include "keywarden/config.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "keywarden/paths.h"
#include "support/temp_dir.h"

namespace keywarden {
namespace {

namespace fs = std::filesystem;

TEST(DurationTest, ParsesEveryUnit) {
  EXPECT_EQ(ParseDuration("30s").value(), 30);
  EXPECT_EQ(ParseDuration("5m").value(), 300);
  EXPECT_EQ(ParseDuration("2h").value(), 7200);
  EXPECT_EQ(ParseDuration("90d").value(), 7776000);
  EXPECT_EQ(ParseDuration("2w").value(), 1209600);
  EXPECT_EQ(ParseDuration("36500d").value(), 36500LL * 86400);
}

TEST(DurationTest, RejectsMalformedZeroAndHuge) {
  for (std::string_view bad : {"", "s", "10", "soon", "5 m", " 5m", "5m ", "-5m", "+5m", "1.5h",
                               "5M", "1h30m", "5ms", "99999999999999999999999d"}) {
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(ParseDuration("soon").error().message,
            "expected a duration like 30s, 5m, 2h or 90d, got \"soon\"");
  EXPECT_EQ(ParseDuration("0s").error().message,
            "a duration must be greater than zero, got \"0s\"");
  EXPECT_NE(ParseDuration("36501d").error().message.find("at most 36500d"), std::string::npos);
}

TEST(DurationTest, FormatsWithTheLargestExactUnit) {
  EXPECT_EQ(FormatDuration(7776000), "90d");
  EXPECT_EQ(FormatDuration(1209600), "2w");
  EXPECT_EQ(FormatDuration(86400 + 3600), "25h");
  EXPECT_EQ(FormatDuration(90), "90s");
  EXPECT_EQ(FormatDuration(300), "5m");
  EXPECT_EQ(FormatDuration(0), "0s");
  for (std::string_view text : {"15s", "5m", "23h", "1d", "6d", "3w"}) {
    EXPECT_EQ(FormatDuration(ParseDuration(text).value()), text);
  }
}

TEST(ConfigTest, EmptyObjectGivesDefaults) {
  auto config = ParseConfig("{}");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->default_env, "dev");
  EXPECT_TRUE(config->providers.empty());
  EXPECT_EQ(config->validation.revalidate_every, 86400);
  EXPECT_EQ(config->validation.retry_min, 15);
  EXPECT_EQ(config->validation.retry_max, 300);
  EXPECT_EQ(config->validation.timeout, 20);
  EXPECT_EQ(config->validation.concurrency_per_endpoint, 8);
  EXPECT_FALSE(config->validation.ca_file);
  EXPECT_EQ(config->rotation.rotate_every, 90 * 86400);
  EXPECT_EQ(config->rotation.remind_before, 7 * 86400);
  EXPECT_EQ(config->rotation.grace, 7 * 86400);
  EXPECT_EQ(config->repeat_every, 86400);
  EXPECT_TRUE(config->notify_command.empty());
  EXPECT_FALSE(config->audit_sync_before_reply);
  EXPECT_FALSE(config->master_key_file);
  EXPECT_EQ(config->unlock, "file");
}

TEST(ConfigTest, ParsesEveryField) {
  auto config = ParseConfig(R"({
    "default_env": "prod",
    "providers": {
      "mistral": {"endpoints": {"general": "https://api.eu.mistral.ai/v1",
                                "codestral": "http://127.0.0.1:9000/v1"},
                  "activation_window": "10m"},
      "openai-compatible": {"endpoints": {"ollama": "http://localhost:11434/v1"}}
    },
    "validation": {"revalidate_every": "12h", "retry_min": "5s", "retry_max": "2m",
                   "timeout": "30s", "concurrency_per_endpoint": 2, "ca_file": "/etc/ssl/proxy.pem"},
    "rotation": {"rotate_every": "30d", "remind_before": "3d", "grace": "1w"},
    "reminders": {"repeat_every": "6h"},
    "notify": {"command": ["notify-send", "keywarden"]},
    "audit": {"sync_before_reply": true},
    "master_key_file": "/run/keys/master.key",
    "unlock": "passphrase"
  })");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->default_env, "prod");
  const ProviderOverride& mistral = config->providers.at("mistral");
  EXPECT_EQ(mistral.endpoints.at("general"), "https://api.eu.mistral.ai/v1");
  EXPECT_EQ(mistral.endpoints.at("codestral"), "http://127.0.0.1:9000/v1");
  EXPECT_EQ(mistral.activation_window, 600);
  EXPECT_EQ(config->providers.at("openai-compatible").endpoints.at("ollama"),
            "http://localhost:11434/v1");
  EXPECT_FALSE(config->providers.at("openai-compatible").activation_window);
  EXPECT_EQ(config->validation.revalidate_every, 12 * 3600);
  EXPECT_EQ(config->validation.retry_min, 5);
  EXPECT_EQ(config->validation.retry_max, 120);
  EXPECT_EQ(config->validation.timeout, 30);
  EXPECT_EQ(config->validation.concurrency_per_endpoint, 2);
  EXPECT_EQ(config->validation.ca_file, fs::path("/etc/ssl/proxy.pem"));
  EXPECT_EQ(config->rotation.rotate_every, 30 * 86400);
  EXPECT_EQ(config->rotation.remind_before, 3 * 86400);
  EXPECT_EQ(config->rotation.grace, 7 * 86400);
  EXPECT_EQ(config->repeat_every, 6 * 3600);
  EXPECT_EQ(config->notify_command, (std::vector<std::string>{"notify-send", "keywarden"}));
  EXPECT_TRUE(config->audit_sync_before_reply);
  EXPECT_EQ(config->master_key_file, fs::path("/run/keys/master.key"));
  EXPECT_EQ(config->unlock, "passphrase");
}

TEST(ConfigTest, NullPathsMeanNone) {
  auto config = ParseConfig(R"({"validation": {"ca_file": null}, "master_key_file": null})");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(config->validation.ca_file);
  EXPECT_FALSE(config->master_key_file);
}

TEST(ConfigTest, EventRetentionDefaultsTakesDurationsAndNullForNever) {
  auto defaults = ParseConfig("{}");
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->events.keep, 180 * 86400);
  EXPECT_EQ(defaults->events.aggregate_gets_after, 7 * 86400);

  auto set = ParseConfig(R"({"events": {"keep": "30d", "aggregate_gets_after": "1d"}})");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->events.keep, 30 * 86400);
  EXPECT_EQ(set->events.aggregate_gets_after, 86400);

  auto never = ParseConfig(R"({"events": {"keep": null, "aggregate_gets_after": null}})");
  ASSERT_TRUE(never) << never.error().message;
  EXPECT_FALSE(never->events.keep);
  EXPECT_FALSE(never->events.aggregate_gets_after);
}

TEST(ConfigTest, EventRetentionBadValuesAreNamed) {
  struct Case {
    std::string_view json, message;
  };
  for (const Case& c : {
           Case{R"({"events": {"keep": 180}})", "events.keep: expected a duration string"},
           Case{R"({"events": {"keep": "0s"}})", "events.keep: a duration must be greater"},
           Case{R"({"events": {"aggregate_gets_after": "a week"}})",
                "events.aggregate_gets_after: expected a duration like"},
           Case{R"({"events": {"keep": "7d", "aggregate_gets_after": "8d"}})",
                "events.aggregate_gets_after: must not be longer than events.keep (1w)"},
           Case{R"({"events": {"max_rows": 5}})", "events.max_rows: unknown field"},
           Case{R"({"events": "180d"})", "events: expected an object, got a string"},
       }) {
    auto config = ParseConfig(c.json);
    ASSERT_FALSE(config) << c.json;
    EXPECT_TRUE(config.error().message.starts_with("config.json: " + std::string(c.message)))
        << "got: " << config.error().message << "\nwant: " << c.message;
  }
}

TEST(ConfigTest, EachBadFieldIsNamed) {
  struct Case {
    std::string_view json, message;
  };
  for (
      const Case& c : {
          Case{R"({"default_env": 3})", "default_env: expected a string, got a number"},
          Case{R"({"default_env": "Dev"})", "default_env: expected a lower-case letter"},
          Case{R"({"providers": []})", "providers: expected an object, got an array"},
          Case{R"({"providers": {"mistrall": {}}})", "providers.mistrall: unknown provider"},
          Case{R"({"providers": {"mistral": {"endpoint": {}}}})",
               "providers.mistral.endpoint: unknown field"},
          Case{
              R"({"providers": {"mistral": {"endpoints": {"eu": "https://api.eu.mistral.ai/v1"}}}})",
              "providers.mistral.endpoints.eu: mistral has no such endpoint"},
          Case{R"({"providers": {"mistral": {"endpoints": {"general": 1}}}})",
               "providers.mistral.endpoints.general: expected a string, got a number"},
          Case{R"({"providers": {"openai": {"endpoints": {"default": "http://10.0.0.2/v1"}}}})",
               "providers.openai.endpoints.default: endpoint URL uses plain http://"},
          Case{R"({"providers": {"mistral": {"activation_window": 600}}})",
               "providers.mistral.activation_window: expected a duration string"},
          Case{R"({"validation": {"retry_min": "soon"}})",
               "validation.retry_min: expected a duration like 30s, 5m, 2h or 90d, got \"soon\""},
          Case{R"({"validation": {"retry_mni": "5s"}})", "validation.retry_mni: unknown field"},
          Case{R"({"validation": {"timeout": "0s"}})",
               "validation.timeout: a duration must be greater than zero"},
          Case{R"({"validation": {"revalidate_every": 86400}})",
               "validation.revalidate_every: expected a duration string like \"30s\""},
          Case{R"({"validation": {"retry_min": "10m"}})",
               "validation.retry_min: must not be longer than validation.retry_max (5m)"},
          Case{R"({"validation": {"concurrency_per_endpoint": 0}})",
               "validation.concurrency_per_endpoint: expected an integer from 1 to 256, got 0"},
          Case{R"({"validation": {"concurrency_per_endpoint": 2.5}})",
               "validation.concurrency_per_endpoint: expected an integer from 1 to 256, got 2.5"},
          Case{R"({"validation": {"concurrency_per_endpoint": "8"}})",
               "validation.concurrency_per_endpoint: expected an integer from 1 to 256, got a "
               "string"},
          Case{R"({"validation": {"ca_file": true}})",
               "validation.ca_file: expected a file path string or null"},
          Case{R"({"validation": {"ca_file": ""}})", "validation.ca_file: is empty"},
          Case{R"({"rotation": {"grace": "forever"}})", "rotation.grace: expected a duration like"},
          Case{R"({"rotation": {"remind": "1d"}})", "rotation.remind: unknown field"},
          Case{R"({"reminders": {"repeat_every": "1y"}})",
               "reminders.repeat_every: expected a duration like"},
          Case{R"({"reminders": "daily"})", "reminders: expected an object, got a string"},
          Case{R"({"notify": {"command": []}})",
               "notify.command: expected a non-empty array of strings, got []"},
          Case{R"({"notify": {"command": "notify-send"}})",
               "notify.command: expected a non-empty array of strings, got a string"},
          Case{R"({"notify": {"command": ["notify-send", 3]}})",
               "notify.command[1]: expected a string, got a number"},
          Case{R"({"notify": {"command": [""]}})", "notify.command[0]: is empty"},
          Case{R"({"notify": {"cmd": ["x"]}})", "notify.cmd: unknown field"},
          Case{R"({"notify": {"command": ["/usr/bin/notify-send\u0000/tmp/evil"]}})",
               "notify.command[0]: contains a NUL character"},
          Case{R"({"notify": {"command": ["notify-send", "a\u0000b"]}})",
               "notify.command[1]: contains a NUL character"},
          Case{R"({"validation": {"ca_file": "/etc/ca.pem\u0000x"}})",
               "validation.ca_file: contains a NUL character"},
          Case{R"({"unlock": "file", "unlock": "passphrase"})", "unlock: duplicate key"},
          Case{R"({"validation": {"timeout": "5s", "timeout": "1h"}})",
               "validation.timeout: duplicate key"},
          Case{R"({"providers": {"mistral": {}, "mistral": {"activation_window": "1m"}}})",
               "providers.mistral: duplicate key"},
          Case{R"({"notify": {"command": ["a"]}, "audit": {}, "notify": {}})",
               "notify: duplicate key"},
          Case{R"({"audit": {"sync_before_reply": "yes"}})",
               "audit.sync_before_reply: expected true or false, got a string"},
          Case{R"({"audit": {"sync": true}})", "audit.sync: unknown field"},
          Case{R"({"master_key_file": 5})",
               "master_key_file: expected a file path string or null, got a number"},
          Case{R"({"unlock": "pin"})", "unlock: expected \"file\" or \"passphrase\""},
          Case{R"({"unlock": null})", "unlock: expected a string, got null"},
          Case{R"({"defaultEnv": "dev"})", "defaultEnv: unknown field"},
      }) {
    auto config = ParseConfig(c.json);
    ASSERT_FALSE(config) << c.json;
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(config.error().message.starts_with("config.json: " + std::string(c.message)))
        << "got: " << config.error().message << "\nwant: " << c.message;
  }
}

TEST(ConfigTest, UnknownFieldHintListsTheKnownOnes) {
  auto config = ParseConfig(R"({"rotation": {"rotate": "1d"}})");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().hint, "known fields here: rotate_every, remind_before, grace");
}

TEST(ConfigTest, InvalidJsonSaysWhere) {
  auto config = ParseConfig("{\n  \"default_env\": \"dev\",\n}", "/etc/keywarden/config.json");
  ASSERT_FALSE(config);
  EXPECT_TRUE(config.error().message.starts_with("/etc/keywarden/config.json: not valid JSON: "))
      << config.error().message;
  EXPECT_NE(config.error().message.find("line 3"), std::string::npos) << config.error().message;
  auto array = ParseConfig("[]");
  ASSERT_FALSE(array);
  EXPECT_EQ(array.error().message, "config.json: expected a JSON object, got an array");
}

TEST(ConfigTest, BytesAfterANulAreRefusedNotIgnored) {
  auto config = ParseConfig(std::string_view("{}\0{\"unlock\": \"pin\"}", 18));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message, "config.json: not valid JSON: a NUL byte at offset 2");
}

TEST(ConfigTest, SameKeyInDifferentObjectsIsNoDuplicate) {
  auto config = ParseConfig(
      R"({"rotation": {"grace": "1d"}, "providers": {"mistral": {"activation_window": "1m"},
          "openai": {"activation_window": "2m"}}})");
  ASSERT_TRUE(config) << config.error().message;
}

// A fresh directory for each test, dir_.
class ConfigDirTest : public ::testing::Test {
 protected:
  void Write(const fs::path& file, std::string_view text) { std::ofstream(file) << text; }
  testing::TempDir temp_{"kw_config_test"};
  fs::path dir_ = temp_.path();
};

using LoadConfigTest = ConfigDirTest;

TEST_F(LoadConfigTest, MissingFileGivesDefaults) {
  auto config = LoadConfig(dir_ / "config.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->default_env, "dev");
}

constexpr std::string_view kPem =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";

TEST_F(LoadConfigTest, RelativePathsAreRelativeToTheFile) {
  Write(dir_ / "ca.pem", kPem);
  Write(dir_ / "config.json",
        R"({"validation": {"ca_file": "ca.pem"}, "master_key_file": "/abs/master.key"})");
  auto config = LoadConfig(dir_ / "config.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->validation.ca_file, dir_ / "ca.pem");
  EXPECT_EQ(config->master_key_file, fs::path("/abs/master.key"));
}

TEST_F(LoadConfigTest, ErrorsNameTheFile) {
  Write(dir_ / "config.json", R"({"unlock": "pin"})");
  auto config = LoadConfig(dir_ / "config.json");
  ASSERT_FALSE(config);
  EXPECT_TRUE(config.error().message.starts_with((dir_ / "config.json").string() + ": unlock: "));
  auto directory = LoadConfig(dir_);
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(directory.error().message,
            "config file " + dir_.string() + " is a directory, not a regular file");
}

TEST_F(LoadConfigTest, CaFileMustBeAReadablePemFileAtLoad) {
  Write(dir_ / "config.json", R"({"validation": {"ca_file": "ca.pem"}})");
  const std::string prefix =
      (dir_ / "config.json").string() + ": validation.ca_file " + (dir_ / "ca.pem").string();
  auto missing = LoadConfig(dir_ / "config.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, prefix + " does not exist");

  fs::create_directory(dir_ / "ca.pem");
  auto directory = LoadConfig(dir_ / "config.json");
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().message, prefix + " is a directory, not a regular file");
  fs::remove(dir_ / "ca.pem");

  for (std::string_view not_pem :
       {"", "hello\n", "-----BEGIN CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n"}) {
    Write(dir_ / "ca.pem", not_pem);
    auto config = LoadConfig(dir_ / "config.json");
    ASSERT_FALSE(config) << not_pem;
    EXPECT_EQ(config.error().message, prefix + " holds no PEM certificate") << not_pem;
  }

  Write(dir_ / "ca.pem", kPem);
  auto good = LoadConfig(dir_ / "config.json");
  EXPECT_TRUE(good) << good.error().message;
}

// Sets environment variables for one test and restores them afterwards.
class PathsTest : public ConfigDirTest {
 protected:
  void SetUp() override {
    ConfigDirTest::SetUp();
    for (const char* name :
         {"HOME", "KEYWARDEN_HOME", "KEYWARDEN_SOCKET", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
          "XDG_RUNTIME_DIR", "STATE_DIRECTORY", "RUNTIME_DIRECTORY"}) {
      const char* value = std::getenv(name);
      saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
    ConfigDirTest::TearDown();
  }
  Paths Resolve(PathOptions options = {}) {
    auto paths = ResolvePaths(options);
    EXPECT_TRUE(paths) << paths.error().message;
    return paths.value_or(Paths{});
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST_F(PathsTest, HomeOptionPutsEverythingUnderOneDirectory) {
  setenv("XDG_CONFIG_HOME", "/elsewhere", 1);
  Paths paths = Resolve({.home = dir_ / "kw/"});
  EXPECT_EQ(paths.config_file, dir_ / "kw" / "config.json");
  EXPECT_EQ(paths.state_dir, dir_ / "kw");
  EXPECT_EQ(paths.db_file, dir_ / "kw" / "keywarden.db");
  EXPECT_EQ(paths.master_key_file, dir_ / "kw" / "master.key");
  EXPECT_EQ(paths.lock_file, dir_ / "kw" / "keywardend.lock");
  EXPECT_EQ(paths.socket_file, dir_ / "kw" / "keywarden.sock");
  EXPECT_FALSE(paths.system);
}

TEST_F(PathsTest, RelativeHomeBecomesAbsolute) {
  Paths paths = Resolve({.home = fs::path("rel/home")});
  EXPECT_TRUE(paths.state_dir.is_absolute());
  EXPECT_EQ(paths.state_dir, fs::current_path() / "rel" / "home");
}

TEST_F(PathsTest, KeywardenHomeEnvIsUsedAndTheOptionWins) {
  setenv("KEYWARDEN_HOME", (dir_ / "env").c_str(), 1);
  EXPECT_EQ(Resolve().db_file, dir_ / "env" / "keywarden.db");
  EXPECT_EQ(Resolve({.home = dir_ / "opt"}).db_file, dir_ / "opt" / "keywarden.db");
}

TEST_F(PathsTest, UserModeUsesXdgDirectories) {
  setenv("HOME", "/home/ada", 1);
  setenv("XDG_CONFIG_HOME", "/x/config", 1);
  setenv("XDG_STATE_HOME", "/x/state", 1);
  setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
  Paths paths = Resolve();
  EXPECT_EQ(paths.config_file, fs::path("/x/config/keywarden/config.json"));
  EXPECT_EQ(paths.state_dir, fs::path("/x/state/keywarden"));
  EXPECT_EQ(paths.db_file, fs::path("/x/state/keywarden/keywarden.db"));
  EXPECT_EQ(paths.master_key_file, fs::path("/x/state/keywarden/master.key"));
  EXPECT_EQ(paths.lock_file, fs::path("/x/state/keywarden/keywardend.lock"));
  EXPECT_EQ(paths.socket_file, fs::path("/run/user/1000/keywarden/keywarden.sock"));
}

TEST_F(PathsTest, UserModeFallsBackToHomeAndStateDirectory) {
  setenv("HOME", "/home/ada", 1);
  setenv("XDG_CONFIG_HOME", "relative/is/ignored", 1);
  Paths paths = Resolve();
  EXPECT_EQ(paths.config_file, fs::path("/home/ada/.config/keywarden/config.json"));
  EXPECT_EQ(paths.state_dir, fs::path("/home/ada/.local/state/keywarden"));
  EXPECT_EQ(paths.socket_file, fs::path("/home/ada/.local/state/keywarden/keywarden.sock"));
}

TEST_F(PathsTest, WithoutHomeVariableUsesThePasswordDatabase) {
  passwd* entry = getpwuid(getuid());
  if (entry == nullptr || entry->pw_dir == nullptr || *entry->pw_dir == '\0') {
    GTEST_SKIP() << "no passwd entry for this uid";
  }
  EXPECT_EQ(Resolve().config_file, fs::path(entry->pw_dir) / ".config/keywarden/config.json");
}

TEST_F(PathsTest, SystemModeUsesSystemdDirectories) {
  Paths defaults = Resolve({.system = true});
  EXPECT_TRUE(defaults.system);
  EXPECT_EQ(defaults.config_file, fs::path("/etc/keywarden/config.json"));
  EXPECT_EQ(defaults.db_file, fs::path("/var/lib/keywarden/keywarden.db"));
  EXPECT_EQ(defaults.socket_file, fs::path("/run/keywarden/keywarden.sock"));
  setenv("STATE_DIRECTORY", "/var/lib/kw:/var/lib/other", 1);
  setenv("RUNTIME_DIRECTORY", "/run/kw", 1);
  Paths paths = Resolve({.system = true});
  EXPECT_EQ(paths.state_dir, fs::path("/var/lib/kw"));
  EXPECT_EQ(paths.master_key_file, fs::path("/var/lib/kw/master.key"));
  EXPECT_EQ(paths.socket_file, fs::path("/run/kw/keywarden.sock"));
}

TEST_F(PathsTest, SocketOverrideChangesOnlyTheSocket) {
  setenv("HOME", "/home/ada", 1);
  setenv("KEYWARDEN_SOCKET", "/tmp/env.sock", 1);
  Paths from_env = Resolve();
  EXPECT_EQ(from_env.socket_file, fs::path("/tmp/env.sock"));
  EXPECT_EQ(from_env.db_file, fs::path("/home/ada/.local/state/keywarden/keywarden.db"));
  EXPECT_EQ(Resolve({.socket = fs::path("/tmp/opt.sock")}).socket_file, fs::path("/tmp/opt.sock"));
  EXPECT_EQ(Resolve({.home = dir_, .socket = fs::path("/tmp/opt.sock")}).socket_file,
            fs::path("/tmp/opt.sock"));
}

}  // namespace
}  // namespace keywarden
