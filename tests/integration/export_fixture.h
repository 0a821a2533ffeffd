// What the export tests share (tests/integration/export_test.cc and the
// real-tool checks in tests/tools/): the real daemon on a fresh home pointed
// at the fake provider, a separate $HOME for the tools' files, and slots
// added through the CLI until verified.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "integration/fake_provider.h"
#include "integration/harness.h"

namespace keywarden::testing {

class ExportFixture : public ::testing::Test {
 protected:
  // The variables the export targets read; each test starts with none of
  // them but HOME, which points into the test's directory.
  static constexpr const char* kToolVariables[] = {
      "HOME",          "XDG_CONFIG_HOME",     "CLINE_DIR",  "CLINE_DATA_DIR",
      "CLINE_PROVIDER_SETTINGS_PATH", "CONTINUE_GLOBAL_DIR", "CODEX_HOME", "CLAUDE_CONFIG_DIR",
      "GEMINI_CLI_HOME", "GOOGLE_API_KEY"};

  void SetUp() override {
    for (const char* name : kToolVariables) {
      const char* value = std::getenv(name);
      saved_env_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
      ::unsetenv(name);
    }
    std::filesystem::create_directories(home());
    ::setenv("HOME", home().c_str(), 1);
  }

  void TearDown() override {
    for (const auto& [name, value] : saved_env_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

  std::filesystem::path home() const { return dir_.path() / "user"; }

  // Starts the fake provider knowing `keys` and the daemon pointed at it.
  void Start(const Json& keys) {
    fake_ = std::make_unique<FakeProvider>(Json{{"keys", keys}});
    WriteConfig(daemon_.home(), fake_->Config());
    std::string why;
    ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  }

  // Adds a slot and waits until it is verified.
  void AddVerified(const std::string& ref, const std::string& provider, const std::string& models,
                   const std::string& key, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"add", ref, "--provider", provider, "--models", models,
                                     "--wait", "--timeout", "40s"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = daemon_.Cli(args, {.stdin_data = key});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << daemon_.Log();
  }

  CliResult Export(const std::string& ref, const std::string& target, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"export", ref, "--to", target};
    args.insert(args.end(), extra.begin(), extra.end());
    return daemon_.Cli(args);
  }

  TempDir dir_;
  Daemon daemon_{dir_.path() / "kw"};
  std::unique_ptr<FakeProvider> fake_;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_env_;
};

}  // namespace keywarden::testing
