// The command line made even (docs/cli.md), through the real daemon, the
// real CLI and the fake provider: help, aliases and did-you-mean, global
// options on either side of the verb, usage errors exiting 2, --json on
// every verb that prints data or changes state, the confirmation of rm and
// revoke (on a pseudo-terminal) and --yes without one, tables fitted to
// the terminal, colour and NO_COLOR, and status naming its files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "integration/provider_fixture.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModel = "mistral-small-2506";

struct PtyResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr as the terminal showed them, "\r" removed
};

// Runs the CLI with stdin, stdout and stderr on a new pseudo-terminal of
// `columns` columns (its controlling terminal), with TERM=xterm, NO_COLOR
// and COLUMNS empty unless `extra_env` sets them. Once the output holds
// `prompt`, `answer` is typed. Gives up (SIGKILL) after 30 s.
PtyResult RunOnTerminal(const std::vector<std::string>& args,
                        const std::vector<std::string>& extra_env = {},
                        unsigned short columns = 200, const std::string& prompt = "",
                        const std::string& answer = "") {
  std::vector<std::string> env_extra = {"TERM=xterm", "NO_COLOR=", "COLUMNS="};
  env_extra.insert(env_extra.end(), extra_env.begin(), extra_env.end());
  std::vector<std::string> env = ChildEnvironment(env_extra);
  std::vector<std::string> argv = {KW_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv, c_env;
  for (std::string& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  for (std::string& e : env) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  winsize size{};
  size.ws_row = 40;
  size.ws_col = columns;
  int master = -1;
  PtyResult result;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) {
    ADD_FAILURE() << "forkpty: " << std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    ::execve(c_argv[0], c_argv.data(), c_env.data());
    ::_exit(127);
  }
  bool answered = prompt.empty();
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  std::string raw;
  for (;;) {
    if (!answered && raw.find(prompt) != std::string::npos) {
      EXPECT_EQ(::write(master, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
      answered = true;
    }
    if (Clock::now() > deadline) {
      ADD_FAILURE() << "the CLI did not finish on the terminal; so far: " << raw;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd pfd{master, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::read(master, buffer, sizeof(buffer));
    if (n <= 0) break;  // EIO once the child and its terminal are gone
    raw.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  for (char c : raw) {
    if (c != '\r') result.out.push_back(c);
  }
  return result;
}

// The columns a line takes: UTF-8 code points.
size_t Columns(std::string_view line) {
  size_t n = 0;
  for (char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class CliSurfaceTest : public ProviderTest {
 protected:
  // The fake provider knows `key_`; dev/m holds it, verified.
  void StartWithVerifiedSlot() {
    Start({{{"key", key_}, {"provider", "mistral"}}, {{"key", key2_}, {"provider", "mistral"}}});
    CliResult added =
        Run({"add", "dev/m", "--provider", "mistral", "--models", kModel, "--wait"}, key_);
    ASSERT_EQ(added.exit_code, 0) << added.err << daemon_.Log();
  }

  // The CLI with no KEYWARDEN_HOME (RunProgram passes on no KEYWARDEN_
  // variable): the arguments say where the daemon is.
  CliResult Bare(const std::vector<std::string>& args) { return RunProgram(KW_CLI_PATH, args); }

  std::string key_ = FakeKey("mistral");
  std::string key2_ = FakeKey("mistral");
};

TEST_F(CliSurfaceTest, HelpPrintsWhatDashDashHelpPrints) {
  CliResult top = daemon_.Cli({"help"});
  CliResult dash = daemon_.Cli({"--help"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(top.out, dash.out);
  EXPECT_NE(top.out.find("help"), std::string::npos);
  EXPECT_NE(top.out.find("Global options go before or after the command"), std::string::npos);
  for (const char* verb : {"list", "rm", "revoke", "get", "export", "status"}) {
    CliResult help = daemon_.Cli({"help", verb});
    CliResult flag = daemon_.Cli({verb, "--help"});
    ASSERT_EQ(help.exit_code, 0) << verb << ": " << help.err;
    EXPECT_EQ(help.out, flag.out) << verb;
    EXPECT_NE(help.out.find("--json"), std::string::npos) << verb << ": " << help.out;
  }
  EXPECT_EQ(daemon_.Cli({"help", "ls"}).out, daemon_.Cli({"ls", "--help"}).out);
  EXPECT_NE(daemon_.Cli({"help", "rm"}).out.find("--yes"), std::string::npos);

  CliResult unknown = daemon_.Cli({"help", "lsit"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.out, "");
  EXPECT_NE(unknown.err.find("keywarden: error: unknown command \"lsit\""), std::string::npos)
      << unknown.err;
  EXPECT_NE(unknown.err.find("keywarden: hint: did you mean `list`?"), std::string::npos)
      << unknown.err;
}

TEST_F(CliSurfaceTest, AliasesWorkAndAnUnknownVerbSuggestsTheNearest) {
  StartWithVerifiedSlot();
  CliResult list = Run({"list", "--json"});
  CliResult ls = Run({"ls", "--json"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out, list.out);

  for (const auto& [typo, meant] : std::vector<std::pair<std::string, std::string>>{
           {"lst", "list"}, {"shwo", "show"}, {"revok", "revoke"}, {"statsu", "status"}}) {
    CliResult r = Run({typo});
    EXPECT_EQ(r.exit_code, 2) << typo;
    EXPECT_NE(r.err.find("did you mean `" + meant + "`?"), std::string::npos) << r.err;
  }
  CliResult far = Run({"frobnicate"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
  EXPECT_NE(far.err.find("keywarden help"), std::string::npos) << far.err;

  CliResult removed = Run({"remove", "dev/m", "--yes"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(Run({"show", "dev/m"}).exit_code, 4);
  ASSERT_EQ(Run({"add", "dev/d", "--provider", "mistral", "--models", kModel}, key_).exit_code, 0);
  EXPECT_EQ(Run({"delete", "-y", "dev/d"}).exit_code, 0);
  EXPECT_EQ(Run({"show", "dev/d"}).exit_code, 4);
}

TEST_F(CliSurfaceTest, GlobalOptionsGoBeforeOrAfterTheVerb) {
  StartWithVerifiedSlot();
  const std::string home = daemon_.home().string();
  const std::string socket = daemon_.socket().string();
  CliResult reference = Run({"show", "dev/m", "--json"});
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const std::string ref_text = Json::parse(reference.out)["ref"];
  EXPECT_EQ(ref_text, "dev/m");

  const std::vector<std::vector<std::string>> forms = {
      {"--home", home, "--json", "show", "dev/m"},
      {"--json", "--home", home, "show", "dev/m"},
      {"show", "dev/m", "--home", home, "--json"},
      {"show", "--json", "dev/m", "--home=" + home},
      {"--json", "show", "dev/m", "--home", home},
      {"--home", "/nonexistent", "show", "dev/m", "--socket", socket, "--json"},
      {"show", "dev/m", "--json", "--home", "/nonexistent", "--socket=" + socket},
  };
  for (const std::vector<std::string>& args : forms) {
    CliResult r = Bare(args);
    std::string joined;
    for (const std::string& a : args) joined += a + " ";
    ASSERT_EQ(r.exit_code, 0) << joined << ": " << r.err;
    EXPECT_EQ(Json::parse(r.out, nullptr, false)["ref"], "dev/m") << joined << ": " << r.out;
  }
  // --json before the verb, on verbs with and without a --json of their own.
  for (const char* verb : {"list", "ls", "status", "providers", "reminders", "events"}) {
    CliResult before = Bare({"--home", home, "--json", verb});
    ASSERT_EQ(before.exit_code, 0) << verb << ": " << before.err;
    EXPECT_FALSE(Json::parse(before.out, nullptr, false).is_discarded()) << verb << before.out;
    CliResult after = Bare({verb, "--home", home, "--json"});
    ASSERT_EQ(after.exit_code, 0) << verb << ": " << after.err;
    EXPECT_FALSE(Json::parse(after.out, nullptr, false).is_discarded()) << verb << after.out;
  }
  // Without --json, the table.
  CliResult table = Bare({"list", "--home", home});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(table.out.starts_with("REF")) << table.out;
}

TEST_F(CliSurfaceTest, EveryUsageErrorExitsTwoAndPrintsNothingOnStdout) {
  StartWithVerifiedSlot();
  struct Case {
    std::vector<std::string> args;
    std::string input;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"show", "nosl", "ash"}, "", "ash"},
      {{"show", "Dev/X"}, "", "lower-case"},
      {{"show", "dev/a/b"}, "", "invalid slot name"},
      {{"get", "dev/"}, "", "invalid slot name"},
      {{"rm", "dev/x y", "--yes"}, "", "invalid slot name"},
      {{"add", "Dev/X", "--provider", "mistral", "--models", kModel}, key_, "lower-case"},
      {{"exec", "dev/m,BAD/x", "--", "/bin/true"}, "", "BAD/x"},
      {{"events", "--since", "soon"}, "", "--since"},
      {{"add", "dev/t", "--provider", "mistral", "--models", kModel, "--timeout", "5x"},
       key_,
       "--timeout"},
      {{"validate", "dev/m", "--timeout", "later"}, "", "--timeout"},
      {{"list", "--owner", "no-such-user-kw"}, "", "no user"},
      {{"validate", "--all", "dev/m"}, "", "not both"},
      {{"validate"}, "", "--all"},
      {{"export", "dev/m", "--to", "shell", "--json"}, "", "--json does not go with --to shell"},
      {{"export", "dev/m", "--to", "nowhere"}, "", "unknown target"},
      {{"revoke", "dev/m", "--version", "0"}, "", "--version"},
      {{"list", "--bogus"}, "", "--bogus"},
      {{"show"}, "", "ref"},
      {{"rm", "dev/m"}, "", "pass --yes"},
      {{"revoke", "dev/m"}, "", "pass --yes"},
  };
  for (const Case& c : cases) {
    CliResult r = Run(c.args, c.input);
    std::string joined;
    for (const std::string& a : c.args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << ": " << r.err;
    EXPECT_EQ(r.out, "") << joined;
    EXPECT_NE(r.err.find("keywarden: error: "), std::string::npos) << joined << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << joined << ": " << r.err;
  }
  // None of them touched the slot.
  Json slot = Show("dev/m");
  EXPECT_EQ(slot["usable"], true) << slot.dump(2);
  CliResult got = Run({"get", "dev/m"});
  EXPECT_EQ(got.out, key_);
}

TEST_F(CliSurfaceTest, JsonOnEveryVerbThatPrintsDataOrChangesState) {
  StartWithVerifiedSlot();
  // get: the secret, since stdout is its channel.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"get", "dev/m", "--json"}, {"--json", "get", "dev/m"}}) {
    CliResult got = Run(args);
    ASSERT_EQ(got.exit_code, 0) << got.err;
    Json j = Json::parse(got.out);
    EXPECT_EQ(j["ref"], "dev/m");
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["provider"], "mistral");
    EXPECT_EQ(j["env_var"], "MISTRAL_API_KEY");
    EXPECT_EQ(j["secret"], key_);
  }

  // export: the files written, then unchanged; a dry run previews, masked.
  const fs::path env_file = dir_.path() / "project" / ".env";
  CliResult preview = Run(
      {"export", "dev/m", "--to", "dotenv", "--path", env_file.string(), "--dry-run", "--json"});
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  EXPECT_EQ(preview.out.find(key_), std::string::npos) << "a dry run shows the key";
  Json planned = Json::parse(preview.out);
  EXPECT_EQ(planned["dry_run"], true);
  ASSERT_EQ(planned["files"].size(), 1u) << planned.dump(2);
  EXPECT_EQ(planned["files"][0]["exists"], false);
  EXPECT_EQ(planned["files"][0]["changed"], true);
  EXPECT_FALSE(fs::exists(env_file));
  CliResult exported =
      Run({"export", "dev/m", "--to", "dotenv", "--path", env_file.string(), "--json"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  Json wrote = Json::parse(exported.out);
  EXPECT_EQ(wrote["ref"], "dev/m");
  EXPECT_EQ(wrote["target"], "dotenv");
  EXPECT_EQ(wrote["model"], kModel);
  EXPECT_EQ(wrote["dry_run"], false);
  ASSERT_EQ(wrote["files"].size(), 1u) << wrote.dump(2);
  EXPECT_EQ(wrote["files"][0]["path"], env_file.string());
  EXPECT_EQ(wrote["files"][0]["outcome"], "created");
  EXPECT_EQ(wrote["files"][0]["changed"], true);
  EXPECT_TRUE(wrote["files"][0]["backup"].is_null());
  EXPECT_NE(ReadFile(env_file).find(key_), std::string::npos);
  Json again = Json::parse(
      Run({"--json", "export", "dev/m", "--to", "dotenv", "--path", env_file.string()}).out);
  EXPECT_EQ(again["files"][0]["outcome"], "unchanged");
  EXPECT_EQ(again["files"][0]["changed"], false);

  // rotate, rollback and revoke: the slot object.
  CliResult rotated = Run({"rotate", "dev/m", "--json"}, key2_);
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_EQ(Json::parse(rotated.out)["pending_version"], 2);
  Json promoted = WaitFor("dev/m", [](const Json& s) { return s["current_version"] == 2; });
  ASSERT_EQ(promoted["current_version"], 2) << promoted.dump(2);
  CliResult rollback = Run({"rollback", "dev/m", "--json"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  Json rolled = Json::parse(rollback.out);
  EXPECT_EQ(rolled["ref"], "dev/m");
  EXPECT_EQ(rolled["versions"].size(), 2u) << rolled.dump(2);
  Json back = WaitFor("dev/m", [](const Json& s) { return s["current_version"] == 1; });
  ASSERT_EQ(back["current_version"], 1) << back.dump(2);
  CliResult revoked = Run({"revoke", "dev/m", "--version", "2", "--yes", "--json"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  Json after_revoke = Json::parse(revoked.out);
  EXPECT_EQ(after_revoke["ref"], "dev/m");
  EXPECT_EQ(after_revoke["versions"].back()["version"], 2) << after_revoke.dump(2);
  EXPECT_EQ(after_revoke["versions"].back()["state"], "revoked") << after_revoke.dump(2);
  EXPECT_NE(revoked.err.find("https://console.mistral.ai/api-keys"), std::string::npos)
      << revoked.err;
  CliResult again_revoked = Run({"revoke", "dev/m", "--version", "2", "--yes", "--json"});
  // An error stays on stderr; stdout stays empty.
  EXPECT_NE(again_revoked.exit_code, 0);
  EXPECT_EQ(again_revoked.out, "");
  EXPECT_NE(again_revoked.err.find("keywarden: error: "), std::string::npos);

  // status: the files it uses.
  CliResult status = Run({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  Json st = Json::parse(status.out);
  EXPECT_EQ(st["config_file"], (daemon_.home() / "config.json").string());
  EXPECT_EQ(st["socket"], daemon_.socket().string());
  EXPECT_TRUE(st.contains("gateway_url"));
  EXPECT_TRUE(st["gateway_url"].is_null());

  // rekey (file mode): where the new master key is.
  CliResult rekeyed = Run({"rekey", "--json"});
  ASSERT_EQ(rekeyed.exit_code, 0) << rekeyed.err;
  Json rk = Json::parse(rekeyed.out);
  EXPECT_EQ(rk["rekeyed"], true);
  EXPECT_TRUE(rk["file"].is_string()) << rk.dump();
  EXPECT_EQ(Run({"get", "dev/m"}).out, key_);

  // rm last.
  CliResult removed = Run({"rm", "dev/m", "--yes", "--json"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(Json::parse(removed.out), (Json{{"ref", "dev/m"}, {"removed", true}}));
  CliResult gone = Run({"rm", "dev/m", "--yes", "--json"});
  EXPECT_EQ(gone.exit_code, 4);
  EXPECT_EQ(gone.out, "");
}

TEST_F(CliSurfaceTest, SealAndUnlockPrintJson) {
  Start(Json::array(), {{"unlock", "passphrase"}});
  CliResult created = Run({"unlock", "--json"}, "correct horse battery\n");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  Json c = Json::parse(created.out);
  EXPECT_EQ(c["unlocked"], true);
  EXPECT_EQ(c["created"], true);
  EXPECT_EQ(c["already"], false);
  CliResult sealed = Run({"--json", "seal"});
  ASSERT_EQ(sealed.exit_code, 0) << sealed.err;
  EXPECT_EQ(Json::parse(sealed.out), (Json{{"sealed", true}, {"already", false}}));
  EXPECT_EQ(Json::parse(Run({"seal", "--json"}).out)["already"], true);
  CliResult unlocked = Run({"unlock", "--json"}, "correct horse battery\n");
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.err;
  EXPECT_EQ(Json::parse(unlocked.out)["created"], false);
  EXPECT_EQ(Json::parse(unlocked.out)["unlocked"], true);
}

TEST_F(CliSurfaceTest, StatusNamesTheConfigFileAndSocket) {
  StartWithVerifiedSlot();
  CliResult status = Run({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const std::string config = (daemon_.home() / "config.json").string();
  bool config_row = false, socket_row = false;
  for (const std::string& line : Lines(status.out)) {
    config_row = config_row || (line.starts_with("config ") && line.ends_with(config));
    socket_row =
        socket_row || (line.starts_with("socket ") && line.ends_with(daemon_.socket().string()));
  }
  EXPECT_TRUE(config_row) << status.out;
  EXPECT_TRUE(socket_row) << status.out;
  EXPECT_EQ(status.out.find("gateway"), std::string::npos) << "no gateway runs: " << status.out;
}

TEST_F(CliSurfaceTest, RevokeAsksOnATerminalNamingWhatStopsWorking) {
  StartWithVerifiedSlot();
  PtyResult declined = RunOnTerminal({"--home", daemon_.home().string(), "revoke", "dev/m"}, {},
                                     200, "[y/N]", "n\n");
  EXPECT_EQ(declined.exit_code, 1) << declined.out;
  EXPECT_NE(declined.out.find("dev/m: version 1 is the only usable version; tools using it will "
                              "get 401s. Revoke? [y/N]"),
            std::string::npos)
      << declined.out;
  EXPECT_NE(declined.out.find("nothing was changed"), std::string::npos) << declined.out;
  EXPECT_EQ(Show("dev/m")["usable"], true);

  PtyResult confirmed = RunOnTerminal({"--home", daemon_.home().string(), "revoke", "dev/m"}, {},
                                      200, "[y/N]", "y\n");
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.out;
  EXPECT_NE(confirmed.out.find("revoked version 1 of dev/m"), std::string::npos) << confirmed.out;
  EXPECT_NE(confirmed.out.find("the key still works at Mistral until you delete it there: "
                               "https://console.mistral.ai/api-keys"),
            std::string::npos)
      << confirmed.out;
  EXPECT_EQ(Show("dev/m")["usable"], false);
  EXPECT_EQ(Run({"get", "dev/m"}).exit_code, 3);
}

TEST_F(CliSurfaceTest, RmAsksOnATerminalAndYesSkipsTheQuestion) {
  StartWithVerifiedSlot();
  PtyResult declined =
      RunOnTerminal({"rm", "dev/m", "--home", daemon_.home().string()}, {}, 200, "[y/N]", "\n");
  EXPECT_EQ(declined.exit_code, 1) << declined.out;
  EXPECT_NE(declined.out.find("dev/m: rm destroys the slot and its 1 version of the key; version 1 "
                              "is served now"),
            std::string::npos)
      << declined.out;
  EXPECT_NE(declined.out.find("Remove? [y/N]"), std::string::npos) << declined.out;
  EXPECT_EQ(Run({"show", "dev/m"}).exit_code, 0);

  PtyResult yes = RunOnTerminal({"rm", "dev/m", "-y", "--home", daemon_.home().string()});
  ASSERT_EQ(yes.exit_code, 0) << yes.out;
  EXPECT_EQ(yes.out.find("[y/N]"), std::string::npos) << yes.out;
  EXPECT_EQ(yes.out, "removed dev/m\n");
  EXPECT_EQ(Run({"show", "dev/m"}).exit_code, 4);

  // Without a terminal and without --yes: refused before anything happens.
  ASSERT_EQ(Run({"add", "dev/n", "--provider", "mistral", "--models", kModel}, key_).exit_code, 0);
  CliResult piped = Run({"rm", "dev/n"}, "y\n");
  EXPECT_EQ(piped.exit_code, 2);
  EXPECT_NE(piped.err.find("keywarden: hint: pass --yes (or -y) to rm without asking"),
            std::string::npos)
      << piped.err;
  EXPECT_EQ(Run({"show", "dev/n"}).exit_code, 0);
}

TEST_F(CliSurfaceTest, TablesFitTheTerminalAndPipesGetFullLines) {
  Start({{{"key", key_}, {"provider", "mistral"}}});
  std::string models;
  for (int i = 0; i < 8; ++i)
    models +=
        std::string(models.empty() ? "" : ",") + "model-" + std::to_string(i) + "-with-a-long-name";
  ASSERT_EQ(Run({"add", "dev/wide", "--provider", "mistral", "--models", models}, key_).exit_code,
            0);

  CliResult piped = Run({"list"});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_NE(piped.out.find("model-7-with-a-long-name"), std::string::npos) << piped.out;
  size_t widest = 0;
  for (const std::string& line : Lines(piped.out)) widest = std::max(widest, Columns(line));
  EXPECT_GT(widest, 200u) << piped.out;

  for (const auto& [columns, env] :
       std::vector<std::pair<size_t, std::vector<std::string>>>{{72, {}}, {66, {"COLUMNS=66"}}}) {
    PtyResult tty = RunOnTerminal({"list", "--home", daemon_.home().string()}, env,
                                  static_cast<unsigned short>(env.empty() ? columns : 200));
    ASSERT_EQ(tty.exit_code, 0) << tty.out;
    std::vector<std::string> lines = Lines(tty.out);
    ASSERT_GE(lines.size(), 2u) << tty.out;
    for (const std::string& line : lines) {
      // Colour codes take no columns: drop them before counting.
      std::string plain;
      for (size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\033') {
          while (i < line.size() && line[i] != 'm') ++i;
          continue;
        }
        plain.push_back(line[i]);
      }
      EXPECT_LE(Columns(plain), columns) << plain;
    }
    EXPECT_NE(lines[1].find("dev/wide"), std::string::npos) << tty.out;
    EXPECT_NE(lines[1].find("model-0"), std::string::npos) << tty.out;
    EXPECT_TRUE(lines[1].ends_with("\u2026")) << tty.out;
  }
}

TEST_F(CliSurfaceTest, ColourOnlyOnATerminalAndNeverWithNoColor) {
  StartWithVerifiedSlot();
  const std::string home = daemon_.home().string();
  PtyResult coloured = RunOnTerminal({"list", "--home", home});
  ASSERT_EQ(coloured.exit_code, 0) << coloured.out;
  EXPECT_NE(coloured.out.find("\033[32mverified\033[0m"), std::string::npos) << coloured.out;
  PtyResult error = RunOnTerminal({"show", "dev/none", "--home", home});
  EXPECT_EQ(error.exit_code, 4);
  EXPECT_NE(error.out.find("keywarden: \033[31merror:\033[0m "), std::string::npos) << error.out;

  for (const std::vector<std::string>& env :
       {std::vector<std::string>{"NO_COLOR=1"}, {"TERM=dumb"}}) {
    PtyResult plain = RunOnTerminal({"list", "--home", home}, env);
    ASSERT_EQ(plain.exit_code, 0) << plain.out;
    EXPECT_EQ(plain.out.find('\033'), std::string::npos) << env[0] << ": " << plain.out;
    EXPECT_NE(plain.out.find("verified"), std::string::npos) << plain.out;
    PtyResult plain_error = RunOnTerminal({"show", "dev/none", "--home", home}, env);
    EXPECT_EQ(plain_error.out.find('\033'), std::string::npos) << plain_error.out;
    EXPECT_NE(plain_error.out.find("keywarden: error: "), std::string::npos) << plain_error.out;
  }
  // Piped: no escape sequence, on either stream.
  CliResult piped = Run({"list"});
  EXPECT_EQ(piped.out.find('\033'), std::string::npos) << piped.out;
  CliResult piped_error = Run({"show", "dev/none"});
  EXPECT_EQ(piped_error.err.find('\033'), std::string::npos) << piped_error.err;
  EXPECT_NE(piped_error.err.find("keywarden: error: "), std::string::npos);
}

}  // namespace
}  // namespace keywarden::testing
