// The request handler over a real store, below the socket: what a
// connection gets from it, piece by piece.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keywarden/protocol.h"
#include "unit/handler_fixture.h"

namespace keywarden {
namespace {

class ListPiecesTest : public HandlerTest {
 protected:
  explicit ListPiecesTest(HandlerOptions options = HandlerOptions{.list_piece_slots = 3})
      : HandlerTest(options) {}

  void Add(const std::string& ref) {
    auto added = Call("slot.add", {{"ref", ref},
                                   {"provider", "deepseek"},
                                   {"models", Json::array({"deepseek-chat"})},
                                   {"secret", "sk-" + std::string(32, 'a')}});
    ASSERT_TRUE(added) << added.error().message;
  }

  // slot.list as a connection drives it: every piece, in order. `between`
  // runs after each piece but the last.
  std::vector<std::string> ListInPieces(const std::function<void()>& between = nullptr,
                                        Json params = Json::object()) {
    Request request{7, "slot.list", std::move(params)};
    std::vector<std::string> pieces;
    handler_->Handle(
        request, Peer{1000, 1000, 1, true},
        [&](Result<Json>) { ADD_FAILURE() << "a Json reply to slot.list"; },
        [&](RequestHandler::TextPieces next) {
          for (;;) {
            std::string piece;
            Result<bool> more = next(piece);
            EXPECT_TRUE(more) << more.error().message;
            pieces.push_back(piece);
            if (!more || !*more) return;
            if (between) between();
          }
        });
    return pieces;
  }

  static std::vector<std::string> Refs(const std::string& text) {
    std::vector<std::string> refs;
    const Json list = Json::parse(text);  // a temporary would not outlive the loop
    for (const Json& slot : list["slots"]) refs.push_back(slot["ref"]);
    return refs;
  }
};

TEST_F(ListPiecesTest, PiecesJoinIntoTheSameListAsOneReply) {
  for (int i = 0; i < 7; ++i) Add("dev/k" + std::to_string(i));
  std::vector<std::string> pieces = ListInPieces();
  // 3 + 3 + 1 slots: the third piece also closes the list.
  ASSERT_EQ(pieces.size(), 3u);
  std::string joined;
  for (const std::string& piece : pieces) joined += piece;
  auto whole = Call("slot.list", Json::object());
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(Json::parse(joined), *whole);
  EXPECT_EQ(joined, whole->dump());  // the bytes Json::dump gives
  EXPECT_EQ(Refs(joined).size(), 7u);
}

TEST_F(ListPiecesTest, SummaryHoldsTheTableColumnsOfEachFullSlot) {
  for (int i = 0; i < 4; ++i) Add("dev/k" + std::to_string(i));
  std::string joined;
  for (const std::string& piece : ListInPieces(nullptr, {{"summary", true}})) joined += piece;
  auto whole = Call("slot.list", Json::object());
  ASSERT_TRUE(whole) << whole.error().message;
  const Json summary = Json::parse(joined);
  ASSERT_EQ(summary["slots"].size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const Json& full = (*whole)["slots"][i];
    Json want = Json::object();
    for (const char* key : {"current_version", "endpoint", "models", "owner_uid", "provider", "ref",
                            "state", "usable"}) {
      want[key] = full.at(key);
    }
    EXPECT_EQ(summary["slots"][i], want);
  }
  EXPECT_EQ(joined, summary.dump());  // the bytes Json::dump gives
  auto wrong = Call("slot.list", {{"summary", "yes"}});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ListPiecesTest, OneEnvInPiecesHoldsAllOfItAndNothingElse) {
  for (int i = 0; i < 7; ++i) {
    for (const char* env : {"ci", "dev", "prod"}) Add(std::string(env) + "/k" + std::to_string(i));
  }
  std::vector<std::string> pieces = ListInPieces(nullptr, {{"env", "dev"}});
  ASSERT_EQ(pieces.size(), 3u);
  std::string joined;
  for (const std::string& piece : pieces) joined += piece;
  std::vector<std::string> want;
  for (int i = 0; i < 7; ++i) want.push_back("dev/k" + std::to_string(i));
  EXPECT_EQ(Refs(joined), want);
}

TEST_F(ListPiecesTest, AFullLastPieceIsFollowedByAnEmptyOne) {
  for (int i = 0; i < 6; ++i) Add("dev/k" + std::to_string(i));
  std::vector<std::string> pieces = ListInPieces();
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces.back(), "]}");
  EXPECT_EQ(Refs(pieces[0] + pieces[1] + pieces[2]).size(), 6u);
}

TEST_F(ListPiecesTest, EmptyListIsOnePiece) {
  std::vector<std::string> pieces = ListInPieces();
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], R"({"slots":[]})");
}

// Each piece is its own read: changes between pieces show after the cursor
// and not before it, and every slot is listed once at most.
TEST_F(ListPiecesTest, ChangesBetweenPiecesShowOnlyAfterTheCursor) {
  for (const char* ref : {"dev/b", "dev/d", "dev/f", "dev/h"}) Add(ref);
  bool changed = false;
  std::vector<std::string> pieces = ListInPieces([&] {
    if (changed) return;
    changed = true;
    Add("dev/a");                                      // before the cursor (dev/f): not listed
    Add("dev/g");                                      // after it: listed
    ASSERT_TRUE(Call("slot.rm", {{"ref", "dev/h"}}));  // after it: gone
  });
  std::string joined;
  for (const std::string& piece : pieces) joined += piece;
  EXPECT_EQ(Refs(joined), (std::vector<std::string>{"dev/b", "dev/d", "dev/f", "dev/g"}));
}

class ListPieceBytesTest : public ListPiecesTest {
 protected:
  // Room for 200 slots, but fewer bytes than one slot takes.
  ListPieceBytesTest()
      : ListPiecesTest(HandlerOptions{.list_piece_slots = 200, .list_piece_bytes = 100}) {}
};

TEST_F(ListPieceBytesTest, PiecesStopAtTheirBytesBeforeTheirSlotCount) {
  for (int i = 0; i < 4; ++i) Add("dev/k" + std::to_string(i));
  std::vector<std::string> pieces = ListInPieces();
  // One slot a piece, then the piece that finds no more and closes the list.
  ASSERT_EQ(pieces.size(), 5u);
  EXPECT_EQ(pieces.back(), "]}");
  std::string joined;
  for (const std::string& piece : pieces) joined += piece;
  auto whole = Call("slot.list", Json::object());
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(joined, whole->dump());
}

// System mode: names are per owner; another owner's slot answers exactly as
// a missing one; an admin names an owner with params.owner.
class OwnershipHandlerTest : public HandlerTest {
 protected:
  OwnershipHandlerTest() : HandlerTest(HandlerOptions{.system_mode = true}) {}

  static constexpr Peer kAlice{1001, 1001, 11, false};
  static constexpr Peer kBob{1002, 1002, 12, false};
  static constexpr Peer kRoot{0, 0, 10, true};

  Result<Json> CallAs(const Peer& peer, std::string method, Json params) {
    Request request{1, std::move(method), std::move(params)};
    Result<Json> reply = Fail(ErrorCode::kInternal, "no reply");
    handler_->Handle(request, peer, [&](Result<Json> result) { reply = std::move(result); });
    return reply;
  }

  Result<Json> AddAs(const Peer& peer, const std::string& ref, char fill) {
    return CallAs(peer, "slot.add",
                  {{"ref", ref},
                   {"provider", "deepseek"},
                   {"models", Json::array({"deepseek-chat"})},
                   {"secret", "sk-" + std::string(32, fill)}});
  }

  // "code: message (hint)" of a failed call, with `ref` written as REF.
  static std::string Failure(const Result<Json>& r, const std::string& ref) {
    if (r) return "ok";
    std::string text = std::string(ErrorCodeName(r.error().code)) + ": " + r.error().message +
                       " (" + r.error().hint + ")";
    for (size_t at; !ref.empty() && (at = text.find(ref)) != std::string::npos;) {
      text.replace(at, ref.size(), "REF");
    }
    return text;
  }
};

TEST_F(OwnershipHandlerTest, TwoOwnersAddTheSameRefAndEachSeesOnlyTheirOwn) {
  ASSERT_TRUE(AddAs(kAlice, "dev/openrouter", 'a'));
  auto bob = AddAs(kBob, "dev/openrouter", 'b');
  ASSERT_TRUE(bob) << bob.error().message;
  auto again = AddAs(kBob, "dev/openrouter", 'c');
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  for (const Peer& peer : {kAlice, kBob}) {
    auto listed = CallAs(peer, "slot.list", Json::object());
    ASSERT_TRUE(listed);
    ASSERT_EQ((*listed)["slots"].size(), 1u);
    EXPECT_EQ((*listed)["slots"][0]["owner_uid"], peer.uid);
    auto shown = CallAs(peer, "slot.show", {{"ref", "dev/openrouter"}});
    ASSERT_TRUE(shown);
    EXPECT_EQ((*shown)["slot"]["owner_uid"], peer.uid);
    auto events = CallAs(peer, "events.list", Json::object());
    ASSERT_TRUE(events);
    ASSERT_EQ((*events)["events"].size(), 1u);
    EXPECT_EQ((*events)["events"][0]["owner_uid"], peer.uid);
  }
}

TEST_F(OwnershipHandlerTest, AnotherOwnersRefFailsExactlyAsAMissingOne) {
  ASSERT_TRUE(AddAs(kAlice, "dev/held", 'a'));
  const std::vector<std::pair<std::string, Json>> calls = {
      {"slot.show", Json::object()},
      {"slot.get", Json::object()},
      {"slot.get", {{"purpose", "exec"}}},
      {"slot.rm", Json::object()},
      {"slot.rotate", {{"secret", "sk-" + std::string(32, 'z')}}},
      {"slot.rollback", Json::object()},
      {"slot.set", {{"grace", "1d"}}},
      {"slot.revoke", Json::object()},
      {"slot.revoke", {{"version", 1}}},
  };
  for (const auto& [method, extra] : calls) {
    auto call = [&](const std::string& ref) {
      Json params = extra;
      params["ref"] = ref;
      return CallAs(kBob, method, params);
    };
    const std::string held = Failure(call("dev/held"), "dev/held");
    EXPECT_EQ(held, Failure(call("dev/missing"), "dev/missing")) << method;
    EXPECT_EQ(held.substr(0, 10), "not_found:") << method << ": " << held;
  }
  auto validate = CallAs(kBob, "slot.validate", {{"refs", Json::array({"dev/held"})}});
  EXPECT_EQ(
      Failure(validate, "dev/held"),
      Failure(CallAs(kBob, "slot.validate", {{"refs", Json::array({"dev/none"})}}), "dev/none"));
  auto events = CallAs(kBob, "events.list", {{"ref", "dev/held"}});
  ASSERT_TRUE(events);
  EXPECT_EQ((*events)["events"], Json::array());
  // Alice's slot is as it was.
  auto shown = CallAs(kAlice, "slot.show", {{"ref", "dev/held"}});
  ASSERT_TRUE(shown);
  EXPECT_EQ((*shown)["slot"]["versions"].size(), 1u);
}

TEST_F(OwnershipHandlerTest, KeyIdentifyNamesOnlyTheCallersOwnVersions) {
  ASSERT_TRUE(AddAs(kAlice, "dev/a", 'a'));
  ASSERT_TRUE(AddAs(kBob, "dev/b", 'b'));
  const std::string alice_key = "sk-" + std::string(32, 'a');
  auto mine = CallAs(kAlice, "key.identify", {{"secret", alice_key}});
  ASSERT_TRUE(mine) << mine.error().message;
  ASSERT_EQ((*mine)["matches"].size(), 1u);
  EXPECT_EQ((*mine)["matches"][0]["ref"], "dev/a");
  EXPECT_EQ((*mine)["matches"][0]["version"], 1);
  EXPECT_EQ((*mine)["matches"][0]["state"], "pending");
  // Another user, and an admin, learn nothing of whose key it is.
  for (const Peer& peer : {kBob, kRoot}) {
    auto theirs = CallAs(peer, "key.identify", {{"secret", alice_key}});
    ASSERT_TRUE(theirs) << theirs.error().message;
    EXPECT_EQ((*theirs)["matches"], Json::array()) << peer.uid;
  }
  auto unknown = CallAs(kAlice, "key.identify", {{"secret", "sk-" + std::string(32, 'z')}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ((*unknown)["matches"], Json::array());
}

TEST_F(OwnershipHandlerTest, CopiesAreRecordedAndListedForTheCallersOwnSlotsOnly) {
  ASSERT_TRUE(AddAs(kAlice, "dev/a", 'a'));
  const Json copy = {{"ref", "dev/a"},           {"target", "dotenv"},
                     {"path", "/home/a/.env"},   {"field", "dotenv:DEEPSEEK_API_KEY"},
                     {"model", "deepseek-chat"}, {"version", 1}};
  auto recorded = CallAs(kAlice, "copy.record", copy);
  ASSERT_TRUE(recorded) << recorded.error().message;
  EXPECT_EQ((*recorded)["copy"]["recorded"], "stale") << "version 1 is pending, not current";
  EXPECT_FALSE((*recorded)["copy"].contains("fingerprint")) << "not on the wire";
  auto bob = CallAs(kBob, "copy.record", copy);
  ASSERT_FALSE(bob);
  EXPECT_EQ(bob.error().code, ErrorCode::kNotFound);
  auto listed = CallAs(kBob, "copy.list", Json::object());
  ASSERT_TRUE(listed);
  EXPECT_EQ((*listed)["copies"], Json::array());
  listed = CallAs(kAlice, "copy.list", {{"ref", "dev/a"}});
  ASSERT_TRUE(listed);
  ASSERT_EQ((*listed)["copies"].size(), 1u);
  EXPECT_EQ((*listed)["copies"][0]["path"], "/home/a/.env");
  Json relative = copy;
  relative["path"] = ".env";
  auto refused = CallAs(kAlice, "copy.record", relative);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "params.path: expected an absolute path");
  EXPECT_FALSE(CallAs(kAlice, "copy.record",
                      {{"ref", "dev/a"},
                       {"target", "dotenv"},
                       {"path", "/x"},
                       {"field", "dotenv:X"},
                       {"version", 9}}))
      << "no version 9";
  auto forgotten = CallAs(kAlice, "copy.forget", {{"ref", "dev/a"}, {"path", "/home/a/.env"}});
  ASSERT_TRUE(forgotten);
  EXPECT_EQ((*forgotten)["forgotten"], 1);
  listed = CallAs(kAlice, "copy.list", Json::object());
  EXPECT_EQ((*listed)["copies"], Json::array());
}

TEST_F(OwnershipHandlerTest, OnlyAnAdminNamesAnotherOwnerAndTheRefusalSaysNothingOfThem) {
  ASSERT_TRUE(AddAs(kAlice, "dev/held", 'a'));
  for (const std::string method :
       {"slot.show", "slot.list", "events.list", "reminders.list", "status"}) {
    // Only the methods that take a ref are sent one (others refuse it by name).
    const bool takes_ref = method == "slot.show" || method == "events.list";
    auto params = [&](uint32_t owner) {
      Json p = {{"owner", owner}};
      if (takes_ref) p["ref"] = "dev/held";
      return p;
    };
    auto held = CallAs(kBob, method, params(kAlice.uid));
    auto nobody = CallAs(kBob, method, params(4242));
    EXPECT_EQ(Failure(held, ""), Failure(nobody, "")) << method;
    ASSERT_FALSE(held) << method;
    EXPECT_EQ(held.error().code, ErrorCode::kPermissionDenied) << method;
  }
  EXPECT_TRUE(CallAs(kBob, "slot.list", {{"owner", kBob.uid}}));
  auto bad = CallAs(kRoot, "slot.show", {{"ref", "dev/held"}, {"owner", -1}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);

  // root's ref alone is root's own slot; with owner, that owner's.
  auto own = CallAs(kRoot, "slot.show", {{"ref", "dev/held"}});
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, ErrorCode::kNotFound);
  auto alices = CallAs(kRoot, "slot.show", {{"ref", "dev/held"}, {"owner", kAlice.uid}});
  ASSERT_TRUE(alices) << alices.error().message;
  EXPECT_EQ((*alices)["slot"]["owner_uid"], kAlice.uid);
  auto all = CallAs(kRoot, "slot.list", Json::object());
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)["slots"].size(), 1u);
  auto removed = CallAs(kRoot, "slot.rm", {{"ref", "dev/held"}, {"owner", kAlice.uid}});
  ASSERT_TRUE(removed) << removed.error().message;
  // Alice sees in her trail that root removed her slot.
  auto events = CallAs(kAlice, "events.list", Json::object());
  ASSERT_TRUE(events);
  EXPECT_EQ((*events)["events"].back()["action"], "rm");
  EXPECT_EQ((*events)["events"].back()["uid"], 0);
}

// Issue 18 item 17: request params are checked by name, and the model list
// by content and size, before anything is stored or probed.
class RequestChecksTest : public HandlerTest {
 protected:
  Json AddParams(Json models) {
    return {{"ref", "dev/deepseek"},
            {"provider", "deepseek"},
            {"models", std::move(models)},
            {"secret", "sk-" + std::string(32, 'a')}};
  }

  static void ExpectRefused(const Result<Json>& reply, const std::string& message) {
    ASSERT_FALSE(reply) << reply->dump();
    EXPECT_EQ(reply.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(reply.error().message, message);
  }
};

TEST_F(RequestChecksTest, UnknownParamIsRefusedNamingIt) {
  Json params = AddParams({"deepseek-chat"});
  params["rotate_evry"] = "30d";
  ExpectRefused(Call("slot.add", params), "params.rotate_evry: unknown field");
  EXPECT_FALSE(Call("slot.show", {{"ref", "dev/deepseek"}})) << "nothing was added";

  ExpectRefused(Call("slot.show", {{"ref", "dev/x"}, {"verbose", true}}),
                "params.verbose: unknown field");
  ExpectRefused(Call("status", {{"x", 1}}), "params.x: unknown field");
  Result<Json> refused = Call("slot.get", {{"ref", "dev/x"}, {"version", 1}});
  ExpectRefused(refused, "params.version: unknown field");
  EXPECT_EQ(refused.error().hint, "slot.get takes ref, purpose, owner");
  // A name that is not printable is not echoed.
  ExpectRefused(Call("slot.rm", {{"ref", "dev/x"}, {std::string("\x01") + "bad", 1}}),
                "params: an unknown field");
}

TEST_F(RequestChecksTest, EveryDocumentedParamIsAccepted) {
  ASSERT_TRUE(Call("slot.add", {{"ref", "dev/deepseek"},
                                {"provider", "deepseek"},
                                {"models", {"deepseek-chat"}},
                                {"secret", "sk-" + std::string(32, 'a')},
                                {"endpoint", "default"},
                                {"probe", "list"},
                                {"rotate_every", "30d"},
                                {"remind_before", "3d"},
                                {"grace", "1d"}}));
  EXPECT_TRUE(Call("slot.list", {{"env", "dev"}, {"summary", true}, {"owner", 1000}}));
  EXPECT_TRUE(Call("slot.show", {{"ref", "dev/deepseek"}, {"owner", 1000}}));
  EXPECT_TRUE(Call("events.list", {{"ref", "dev/deepseek"}, {"since", "1d"}, {"owner", 1000}}));
  EXPECT_TRUE(Call("status", {{"owner", 1000}}));
  EXPECT_TRUE(Call("reminders.list", nullptr));
  EXPECT_TRUE(Call("reminders.list", {{"owner", 1000}}));
  // Refused for other reasons than their names.
  Result<Json> got = Call("slot.get", {{"ref", "dev/deepseek"}, {"purpose", "exec"}});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kNotUsable);
  Result<Json> revoked = Call("slot.revoke", {{"ref", "dev/deepseek"}, {"version", 1}});
  EXPECT_TRUE(revoked) << revoked.error().message;
}

TEST_F(RequestChecksTest, DuplicateModelIsRefusedNamingIt) {
  ExpectRefused(
      Call("slot.add", AddParams({"deepseek-chat", "deepseek-reasoner", "deepseek-chat"})),
      "model \"deepseek-chat\" is listed twice");
  Json check = AddParams({"deepseek-chat", "deepseek-chat"});
  check.erase("ref");
  ExpectRefused(Call("key.check", check), "model \"deepseek-chat\" is listed twice");
}

TEST_F(RequestChecksTest, ModelsAreCappedPerSlot) {
  Json models = Json::array();
  for (size_t i = 0; i < kMaxModels; ++i) models.push_back("model-" + std::to_string(i));
  Result<Json> most = Call("slot.add", AddParams(models));
  EXPECT_TRUE(most) << most.error().message;
  models.push_back("one-more");
  Json params = AddParams(models);
  params["ref"] = "dev/other";
  ExpectRefused(Call("slot.add", params), "65 models given, at most 64");
  Json thousands = Json::array();
  for (int i = 0; i < 2000; ++i) thousands.push_back("model-" + std::to_string(i));
  params["models"] = thousands;
  ExpectRefused(Call("slot.add", params), "2000 models given, at most 64");
}

}  // namespace
}  // namespace keywarden
