// System mode with real uids: slot names are per owner. Two users may both
// hold dev/openrouter, each reaches only their own, another user's slot
// answers exactly as a missing one, events and reminders stay with their
// owner, and an admin names another user's slot with --owner.
#include <gtest/gtest.h>
#include <unistd.h>

#include "integration/harness.h"
#include "integration/system_daemon.h"
#include "support/fake_provider.h"

namespace keywarden::testing {
namespace {

constexpr uid_t kUserA = 65534;  // nobody: has a passwd entry, so --owner nobody works
constexpr uid_t kUserB = 64123;  // no passwd entry: a bare uid is enough

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class OwnershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as other uids";
    fake_ = std::make_unique<FakeProvider>(Json{{"keys", Json::array()}});
    daemon_ = std::make_unique<SystemDaemon>(fake_->Config());
    ASSERT_TRUE(daemon_->started()) << daemon_->log();
  }

  CliResult As(std::optional<uid_t> uid, std::vector<std::string> args, std::string input = "") {
    return daemon_->As(uid, args, input);
  }

  // Adds `ref` as `uid` with a fresh key the fake provider accepts, waits
  // until it verifies, and returns the key.
  std::string AddVerified(std::optional<uid_t> uid, const std::string& ref,
                          std::vector<std::string> extra = {}) {
    std::string key = FakeKey("openrouter");
    fake_->AddKeys(Json::array({{{"key", key}, {"provider", "openrouter"}}}));
    std::vector<std::string> args = {"add",        ref,        "--provider",
                                     "openrouter", "--models", "deepseek/deepseek-chat"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult added = As(uid, args, key);
    EXPECT_EQ(added.exit_code, 0) << added.err;
    CliResult checked = As(uid, {"validate", ref, "--wait"});
    EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
    return key;
  }

  static Json Parse(const CliResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  std::unique_ptr<FakeProvider> fake_;
  std::unique_ptr<SystemDaemon> daemon_;
};

TEST_F(OwnershipTest, TwoUsersHoldTheSameRefAndEachGetsOnlyTheirOwnKey) {
  const std::string key_a = AddVerified(kUserA, "dev/openrouter");
  // The name another user holds is free for B: no "already exists".
  const std::string key_b = AddVerified(kUserB, "dev/openrouter");
  ASSERT_NE(key_a, key_b);

  CliResult get_a = As(kUserA, {"get", "dev/openrouter"});
  ASSERT_EQ(get_a.exit_code, 0) << get_a.err;
  EXPECT_EQ(get_a.out, key_a);
  CliResult get_b = As(kUserB, {"get", "dev/openrouter"});
  ASSERT_EQ(get_b.exit_code, 0) << get_b.err;
  EXPECT_EQ(get_b.out, key_b);

  for (auto [uid, key] : {std::pair{kUserA, key_a}, std::pair{kUserB, key_b}}) {
    Json listed = Parse(As(uid, {"list", "--json"}));
    ASSERT_EQ(listed.size(), 1u) << listed.dump();
    EXPECT_EQ(listed[0]["ref"], "dev/openrouter");
    EXPECT_EQ(listed[0]["owner_uid"], uid);
    Json shown = Parse(As(uid, {"show", "dev/openrouter", "--json"}));
    EXPECT_EQ(shown["owner_uid"], uid);
    // The mask shows the key's last four characters: each sees their own.
    const std::string mask = shown["versions"][0]["fingerprint"];
    EXPECT_EQ(mask.substr(mask.size() - 4), key.substr(key.size() - 4)) << mask;
    EXPECT_EQ(Parse(As(uid, {"status", "--json"}))["slots"], 1);
  }

  // B's rm takes B's slot only.
  ASSERT_EQ(As(kUserB, {"rm", "dev/openrouter", "--yes"}).exit_code, 0);
  EXPECT_EQ(As(kUserB, {"show", "dev/openrouter"}).exit_code, 4);
  CliResult still = As(kUserA, {"get", "dev/openrouter"});
  ASSERT_EQ(still.exit_code, 0) << still.err;
  EXPECT_EQ(still.out, key_a);
}

TEST_F(OwnershipTest, AnotherUsersRefAnswersExactlyAsAMissingOne) {
  AddVerified(kUserA, "dev/held");
  const std::string events_before = As(kUserA, {"events", "--json"}).out;

  // Every verb that names a slot, as B: on A's ref and on a ref nobody has.
  const std::vector<std::vector<std::string>> verbs = {{"show"},
                                                       {"get"},
                                                       {"rm", "--yes"},
                                                       {"rotate"},
                                                       {"rollback"},
                                                       {"revoke", "--yes"},
                                                       {"revoke", "--yes", "--version", "1"},
                                                       {"validate"},
                                                       {"exec"},
                                                       {"export", "--to", "dotenv"}};
  for (const std::vector<std::string>& verb : verbs) {
    auto run = [&](const std::string& ref) {
      std::vector<std::string> args = {verb[0], ref};
      args.insert(args.end(), verb.begin() + 1, verb.end());
      if (verb[0] == "exec") args.insert(args.end(), {"--", "/bin/true"});
      if (verb[0] == "export")
        args.insert(args.end(), {"--path", (daemon_->dir() / "x.env").string()});
      return As(kUserB, args, FakeKey("openrouter"));
    };
    CliResult held = run("dev/held");
    CliResult missing = run("dev/missing");
    const std::string what = verb[0] + (verb.size() > 1 ? " " + verb[1] : "");
    EXPECT_EQ(held.exit_code, 4) << what << ": " << held.err;
    EXPECT_EQ(held.exit_code, missing.exit_code) << what;
    EXPECT_EQ(held.out, ReplaceAll(missing.out, "dev/missing", "dev/held")) << what;
    EXPECT_EQ(held.err, ReplaceAll(missing.err, "dev/missing", "dev/held")) << what;
  }
  // B's events name nothing of A's, even by ref.
  EXPECT_EQ(Parse(As(kUserB, {"events", "dev/held", "--json"})), Json::array());

  // A's slot is untouched: still verified, one version, and no event of
  // B's attempts in its trail.
  Json shown = Parse(As(kUserA, {"show", "dev/held", "--json"}));
  EXPECT_EQ(shown["usable"], true);
  EXPECT_EQ(shown["versions"].size(), 1u);
  EXPECT_EQ(As(kUserA, {"events", "--json"}).out, events_before);
}

TEST_F(OwnershipTest, EventsRemindersAndStatusStayWithTheirOwner) {
  // Due for rotation within the reminder window at once.
  AddVerified(kUserA, "dev/alpha", {"--rotate-every", "1h", "--remind-before", "2h"});
  AddVerified(kUserB, "dev/beta");

  Json events_b = Parse(As(kUserB, {"events", "--json"}));
  ASSERT_FALSE(events_b.empty());
  for (const Json& e : events_b) {
    EXPECT_EQ(e["ref"], "dev/beta") << e.dump();
    EXPECT_EQ(e["owner_uid"], kUserB) << e.dump();
  }
  Json reminders_a = Parse(As(kUserA, {"reminders", "--json"}));
  ASSERT_EQ(reminders_a.size(), 1u) << reminders_a.dump();
  EXPECT_EQ(reminders_a[0]["ref"], "dev/alpha");
  EXPECT_EQ(Parse(As(kUserB, {"reminders", "--json"})), Json::array());

  Json status_b = Parse(As(kUserB, {"status", "--json"}));
  EXPECT_EQ(status_b["slots"], 1);
  // The scheduler's next wakeup may be A's; B is not told it.
  EXPECT_TRUE(status_b["next_scheduled_at"].is_null()) << status_b.dump();

  // B may not name another owner, whether that owner holds anything or not:
  // refused on the request alone, with the same words.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"list", "--owner", std::to_string(kUserA)},
        {"events", "--owner", std::to_string(kUserA)},
        {"reminders", "--owner", std::to_string(kUserA)},
        {"show", "dev/alpha", "--owner", std::to_string(kUserA)},
        {"get", "dev/alpha", "--owner", std::to_string(kUserA)}}) {
    CliResult r = As(kUserB, args);
    std::vector<std::string> nobody = args;
    nobody.back() = "4242";
    CliResult n = As(kUserB, nobody);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("only root and members of keywarden-admin"), std::string::npos) << r.err;
    EXPECT_EQ(r.err, n.err) << args[0];
  }
  // Naming oneself is no error.
  EXPECT_EQ(As(kUserB, {"show", "dev/beta", "--owner", std::to_string(kUserB)}).exit_code, 0);
}

TEST_F(OwnershipTest, AdminSeesEveryOwnerAndNamesOneWithOwner) {
  const std::string key_a = AddVerified(kUserA, "dev/openrouter");
  const std::string key_b = AddVerified(kUserB, "dev/openrouter");

  // root lists both, told apart by owner_uid, in the table too.
  Json all = Parse(As(std::nullopt, {"list", "--json"}));
  ASSERT_EQ(all.size(), 2u) << all.dump();
  EXPECT_EQ(all[0]["ref"], "dev/openrouter");
  EXPECT_EQ(all[1]["ref"], "dev/openrouter");
  EXPECT_EQ(all[0]["owner_uid"], kUserB);  // by uid within one ref
  EXPECT_EQ(all[1]["owner_uid"], kUserA);
  CliResult table = As(std::nullopt, {"list"});
  EXPECT_NE(table.out.find("OWNER"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(std::to_string(kUserB)), std::string::npos) << table.out;
  Json only_b = Parse(As(std::nullopt, {"list", "--json", "--owner", std::to_string(kUserB)}));
  ASSERT_EQ(only_b.size(), 1u);
  EXPECT_EQ(only_b[0]["owner_uid"], kUserB);

  // A ref alone names root's own slot, and root has none.
  EXPECT_EQ(As(std::nullopt, {"get", "dev/openrouter"}).exit_code, 4);
  CliResult a = As(std::nullopt, {"get", "dev/openrouter", "--owner", "nobody"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, key_a);
  CliResult b = As(std::nullopt, {"get", "dev/openrouter", "--owner", std::to_string(kUserB)});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(b.out, key_b);
  EXPECT_EQ(As(std::nullopt, {"get", "dev/openrouter", "--owner", "no-such-user-kw"}).exit_code, 2);

  // root's events: every owner's, or one owner's with --owner.
  Json events = Parse(As(std::nullopt, {"events", "--json", "--owner", std::to_string(kUserB)}));
  ASSERT_FALSE(events.empty());
  for (const Json& e : events) EXPECT_EQ(e["owner_uid"], kUserB) << e.dump();

  // An admin's rm of one owner's slot leaves the other's, and the owner
  // sees in their trail that root did it.
  ASSERT_EQ(As(std::nullopt, {"rm", "dev/openrouter", "--yes", "--owner", "nobody"}).exit_code, 0);
  EXPECT_EQ(As(kUserA, {"show", "dev/openrouter"}).exit_code, 4);
  EXPECT_EQ(As(kUserB, {"get", "dev/openrouter"}).out, key_b);
  Json trail_a = Parse(As(kUserA, {"events", "--json"}));
  ASSERT_FALSE(trail_a.empty());
  EXPECT_EQ(trail_a.back()["action"], "rm");
  EXPECT_EQ(trail_a.back()["uid"], 0);
}

}  // namespace
}  // namespace keywarden::testing
