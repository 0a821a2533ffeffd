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

#include "integration/harness.h"
#include "support/fake_provider.h"

namespace keywarden::testing {

class ExportFixture : public ::testing::Test {
 protected:
  // The variables the export targets read; each test starts with none of
  // them but HOME, which points into the test's directory.
  static constexpr const char* kToolVariables[] = {"HOME",
                                                   "XDG_CONFIG_HOME",
                                                   "CLINE_DIR",
                                                   "CLINE_DATA_DIR",
                                                   "CLINE_PROVIDER_SETTINGS_PATH",
                                                   "CONTINUE_GLOBAL_DIR",
                                                   "CODEX_HOME",
                                                   "CLAUDE_CONFIG_DIR",
                                                   "GEMINI_CLI_HOME",
                                                   "GOOGLE_API_KEY"};

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

  // Starts the fake provider knowing `keys` and the daemon pointed at it;
  // `extra` is merged into the daemon's config.json.
  void Start(const Json& keys, const Json& extra = Json::object()) {
    fake_ = std::make_unique<FakeProvider>(Json{{"keys", keys}});
    Json config = fake_->Config();
    config.update(extra);
    WriteConfig(daemon_.home(), config);
    std::string why;
    ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  }

  // Adds a slot and waits until it is verified.
  void AddVerified(const std::string& ref, const std::string& provider, const std::string& models,
                   const std::string& key, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"add",  ref,      "--provider", provider, "--models",
                                     models, "--wait", "--timeout",  "40s"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = daemon_.Cli(args, {.stdin_data = key});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << daemon_.Log();
  }

  // Starts with one verified slot per provider the targets take:
  // dev/openrouter, dev/codestral (Mistral's codestral endpoint), dev/gemini
  // and dev/anthropic, holding openrouter_, codestral_, gemini_, anthropic_.
  void StartWithSlots() {
    Start({{{"key", openrouter_}, {"provider", "openrouter"}},
           {{"key", codestral_}, {"provider", "mistral"}, {"mistral_kind", "codestral"}},
           {{"key", gemini_}, {"provider", "gemini"}},
           {{"key", anthropic_}, {"provider", "anthropic"}}});
    AddVerified("dev/openrouter", "openrouter", "deepseek/deepseek-chat,anthropic/claude-sonnet-4",
                openrouter_);
    AddVerified("dev/codestral", "mistral", "codestral-2508", codestral_,
                {"--endpoint", "codestral"});
    AddVerified("dev/gemini", "gemini", "gemini-2.5-flash", gemini_);
    AddVerified("dev/anthropic", "anthropic", "claude-sonnet-4-20250514", anthropic_);
  }

  CliResult Export(const std::string& ref, const std::string& target,
                   std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"export", ref, "--to", target};
    args.insert(args.end(), extra.begin(), extra.end());
    return daemon_.Cli(args);
  }

  std::string openrouter_ = FakeKey("openrouter"), codestral_ = FakeKey("mistral"),
              gemini_ = FakeKey("gemini"), anthropic_ = FakeKey("anthropic");
  TempDir dir_;
  Daemon daemon_{dir_.path() / "kw"};
  std::unique_ptr<FakeProvider> fake_;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_env_;
};

}  // namespace keywarden::testing
