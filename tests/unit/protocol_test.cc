#include "keywarden/protocol.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "keywarden/client.h"
#include "keywarden/clock.h"
#include "keywarden/json_text.h"
#include "keywarden/secret_json.h"
#include "keywarden/slot_json.h"
#include "support/temp_dir.h"

namespace keywarden {
namespace {

TEST(ProtocolTest, ParsesAWellFormedRequest) {
  Json id;
  Result<Request> r =
      ParseRequest(R"({"v":1,"id":7,"method":"slot.show","params":{"ref":"dev/x"}})", &id);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id, 7);
  EXPECT_EQ(id, 7);
  EXPECT_EQ(r->method, "slot.show");
  EXPECT_EQ(r->params["ref"], "dev/x");
}

TEST(ProtocolTest, MissingParamsIsAnEmptyObject) {
  Result<Request> r = ParseRequest(R"({"v":1,"id":"a","method":"status"})", nullptr);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->params.is_object());
  EXPECT_TRUE(r->params.empty());
}

TEST(ProtocolTest, RejectsMalformedLinesWithProtocolErrors) {
  const char* bad[] = {
      "",
      "not json",
      "{\"v\":1,\"id\":1,\"method\":\"status\"",  // truncated
      "[1,2]",
      "{\"id\":1,\"method\":\"status\"}",              // no v
      "{\"v\":\"1\",\"id\":1,\"method\":\"status\"}",  // v not a number
      "{\"v\":1,\"method\":\"status\"}",               // no id
      "{\"v\":1,\"id\":1.5,\"method\":\"status\"}",    // id not integer/string
      "{\"v\":1,\"id\":1,\"method\":5}",
      "{\"v\":1,\"id\":1,\"method\":\"status\",\"params\":[]}",
  };
  for (const char* line : bad) {
    Result<Request> r = ParseRequest(line, nullptr);
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.error().code, ErrorCode::kProtocol) << line;
  }
}

TEST(ProtocolTest, WrongVersionKeepsTheIdForTheReply) {
  Json id;
  Result<Request> r = ParseRequest(R"({"v":2,"id":42,"method":"status"})", &id);
  ASSERT_FALSE(r);
  EXPECT_EQ(id, 42);
  EXPECT_NE(r.error().message.find("2"), std::string::npos);
}

TEST(ProtocolTest, OversizedLineIsRejectedBeforeParsing) {
  std::string line = R"({"v":1,"id":1,"method":"status","params":{"x":")" +
                     std::string(kMaxLineBytes, 'a') + "\"}}";
  Result<Request> r = ParseRequest(line, nullptr);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("longer than"), std::string::npos);
}

TEST(ProtocolTest, DeepNestingIsRejectedButBracketsInStringsAreNot) {
  std::string deep = R"({"v":1,"id":1,"method":"status","params":{"x":)" + std::string(40, '[') +
                     std::string(40, ']') + "}}";
  EXPECT_FALSE(ParseRequest(deep, nullptr));
  std::string in_string =
      R"({"v":1,"id":1,"method":"status","params":{"x":")" + std::string(100, '[') + R"(\""}})";
  EXPECT_TRUE(ParseRequest(in_string, nullptr));
}

TEST(ProtocolTest, ResponsesRoundTrip) {
  std::string ok = EncodeResult(9, {{"a", 1}});
  ASSERT_EQ(ok.back(), '\n');
  ok.pop_back();
  Result<Json> parsed = ParseResponse(ok, 9);
  ASSERT_TRUE(parsed);
  EXPECT_EQ((*parsed)["a"], 1);

  std::string failed = EncodeError(9, Error{ErrorCode::kNotUsable, "pending", "wait"});
  failed.pop_back();
  Result<Json> error = ParseResponse(failed, 9);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().code, ErrorCode::kNotUsable);
  EXPECT_EQ(error.error().message, "pending");
  EXPECT_EQ(error.error().hint, "wait");
}

TEST(ProtocolTest, AResultLineIsTheEnvelopeJsonDumpWrites) {
  const std::string long_model(5000, 'm');  // past the line's reserved room
  for (const Json& id : {Json(9), Json("x\"y"), Json(nullptr)}) {
    for (const Json& result :
         {Json::object(), Json{{"secret", "sk-abc"}, {"models", {"a", long_model}}},
          Json{{"bad", std::string("caf\xc3")}, {"n", -1.5}}}) {
      const Json envelope = {{"v", 1}, {"id", id}, {"ok", true}, {"result", result}};
      EXPECT_EQ(EncodeResult(id, result),
                envelope.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
    }
  }
}

TEST(ProtocolTest, ResponseForAnotherIdIsRejected) {
  std::string line = EncodeResult(1, Json::object());
  line.pop_back();
  EXPECT_FALSE(ParseResponse(line, 2));
  EXPECT_FALSE(ParseResponse("garbage", 1));
}

TEST(ProtocolTest, EncodingInvalidUtf8DoesNotThrow) {
  std::string line = EncodeError(nullptr, Error{ErrorCode::kProtocol, "bad \xff byte", ""});
  EXPECT_NE(line.find("bad"), std::string::npos);
}

// The line carrying a secret is built in a SecretBuffer; the daemon's parser
// reads back exactly the secret, whatever bytes JSON must escape in it.
TEST(ProtocolTest, SecretRequestParsesBackToTheSameParams) {
  const std::string secret = "sk-\"quoted\"\\back\x01\ttab-\xc3\xa9-\xf0\x9f\x94\x91";
  Result<SecretBuffer> line = EncodeSecretRequest(
      7, "slot.add", {{"ref", "dev/x"}, {"models", {"m"}}}, {{"secret", secret}});
  ASSERT_TRUE(line) << line.error().message;
  std::string_view text = line->view();
  ASSERT_TRUE(text.ends_with('\n'));
  Result<Request> request = ParseRequest(text.substr(0, text.size() - 1), nullptr);
  ASSERT_TRUE(request) << request.error().message << "\n" << text;
  EXPECT_EQ(request->id, 7);
  EXPECT_EQ(request->method, "slot.add");
  EXPECT_EQ(request->params, Json({{"ref", "dev/x"}, {"models", {"m"}}, {"secret", secret}}));

  Result<SecretBuffer> alone = EncodeSecretRequest(1, "unlock", Json::object(),
                                                   {{"passphrase", "a"}, {"new_passphrase", "b"}});
  ASSERT_TRUE(alone);
  Result<Request> parsed = ParseRequest(alone->view().substr(0, alone->size() - 1), nullptr);
  ASSERT_TRUE(parsed) << alone->view();
  EXPECT_EQ(parsed->params, Json({{"passphrase", "a"}, {"new_passphrase", "b"}}));

  EXPECT_FALSE(EncodeSecretRequest(1, "slot.add", Json::object(), {{"secret", "bad \xff"}}))
      << "JSON cannot carry bytes that are not UTF-8";

  // A request whose secrets are all absent still parses, params and all.
  for (const Json& params : {Json({{"ref", "dev/x"}}), Json::object(), Json()}) {
    Result<SecretBuffer> none = EncodeSecretRequest(2, "slot.rotate", params, {});
    ASSERT_TRUE(none) << params.dump();
    Result<Request> back = ParseRequest(none->view().substr(0, none->size() - 1), nullptr);
    ASSERT_TRUE(back) << none->view();
    EXPECT_EQ(back->params, params.is_null() ? Json::object() : params);
  }
  EXPECT_FALSE(EncodeSecretRequest(3, "slot.add", Json::array(), {{"secret", "s"}}));
}

TEST(ProtocolTest, SecretResponseUnescapesTheSecretAndKeepsTheRest) {
  const std::string secret = "sk-\"q\"\\\x01\xc3\xa9\xf0\x9f\x94\x91";
  std::string line = EncodeResult(3, {{"secret", secret}, {"ref", "dev/x"}, {"version", 2}});
  line.pop_back();
  Json rest;
  Result<SecretBuffer> got = ParseSecretResponse(line, 3, &rest);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->view(), secret);
  EXPECT_EQ(rest, Json({{"ref", "dev/x"}, {"version", 2}}));
  // \u escapes, surrogate pairs included, as another encoder may write them.
  Result<SecretBuffer> escaped = ParseSecretResponse(
      R"({"v":1,"id":3,"ok":true,"result":{"secret":"a\u00e9\ud83d\udd11\/"}})", 3, nullptr);
  ASSERT_TRUE(escaped);
  EXPECT_EQ(escaped->view(), "a\xc3\xa9\xf0\x9f\x94\x91/");

  for (std::string bad : {R"({"v":1,"id":3,"ok":true,"result":{"secret":5}})",
                          R"({"v":1,"id":3,"ok":true,"result":{"ref":"x"}})",
                          R"({"v":1,"id":3,"ok":true,"result":"secret"})",
                          R"({"v":1,"id":3,"ok":true,"result":{"secret":"a","secret":"b"}})",
                          R"({"v":1,"id":3,"ok":true,"result":{"secret":"\ud800"}})"}) {
    Result<SecretBuffer> refused = ParseSecretResponse(bad, 3, nullptr);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().message, "unexpected reply from the daemon") << bad;
  }
  Result<SecretBuffer> error = ParseSecretResponse(
      R"({"v":1,"id":3,"ok":false,"error":{"code":"not_usable","message":"no"}})", 3, nullptr);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().code, ErrorCode::kNotUsable);
}

Slot SampleSlot() {
  Slot slot;
  slot.id = 7;
  slot.ref = {"dev", "openrouter"};
  slot.provider = "openrouter";
  slot.models = {"google/gemini-2.5-pro-preview", "deepseek/deepseek-chat"};
  slot.current_version = 1;
  slot.created_at = 1763719200;
  Version v;
  v.number = 1;
  v.state = VersionState::kVerified;
  v.mask =
      "sk-or-v1-\xe2\x80\xa6"
      "cdef";
  v.created_at = 1763719200;
  v.verified_at = 1763719201;
  v.billed_probes = 2;
  v.checks = {{"", Outcome::kOk, 200, "", 1763719201},
              {"google/gemini-2.5-pro-preview", Outcome::kDenied, 401,
               "No \"auth\"\\credentials\n\x01 bad \xff utf-8 [{", 1763719201}};
  v.diagnoses = {{"model_denied", "tab\there"}};
  slot.versions.push_back(v);
  return slot;
}

// A peer on a real Unix socket that answers one request with `reply`,
// written `chunk` bytes at a time, then closes: Client::CallForText must
// take the same text from it however it is cut.
class ScriptedPeer {
 public:
  ScriptedPeer() {
    path_ = dir_.path() / "s";
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path_.c_str());
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
  }
  ~ScriptedPeer() {
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }

  // Answers the next request with reply(its id).
  void Answer(std::function<std::string(const Json& id)> reply, size_t chunk) {
    thread_ = std::thread([this, reply = std::move(reply), chunk] {
      int fd = ::accept(listener_, nullptr, nullptr);
      std::string request;
      char c;
      while (::read(fd, &c, 1) == 1 && c != '\n') request.push_back(c);
      const std::string text = reply(Json::parse(request)["id"]);
      for (size_t at = 0; at < text.size(); at += chunk) {
        std::string_view part = std::string_view(text).substr(at, chunk);
        if (::send(fd, part.data(), part.size(), MSG_NOSIGNAL) < 0) break;
      }
      ::close(fd);
    });
  }

  // CallForText("slot.list", "slots") against the answer; the member's text
  // as consumed (the whole piece each time, as a value that never ends).
  Status List(std::string* text) {
    Result<Client> client = Client::Connect(path_, std::chrono::seconds(5));
    EXPECT_TRUE(client);
    JsonIndenter indenter;
    std::string indented;
    Status status =
        client->CallForText("slot.list", Json::object(), "slots", [&](std::string_view piece) {
          const size_t taken = indenter.Feed(piece, indented);
          text->append(piece.substr(0, taken));
          return taken;
        });
    return status;
  }

 private:
  testing::TempDir dir_{"kw-client"};
  std::filesystem::path path_;
  int listener_ = -1;
  std::thread thread_;
};

TEST(ClientTest, TakesAStreamedMemberWhateverTheChunks) {
  const std::string slots = R"([{"ref":"dev/a","models":["m,]}"]},{}])";
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{64}, size_t{100000}}) {
    ScriptedPeer peer;
    peer.Answer(
        [&](const Json& id) {
          return ResultLineStart(id) + R"({"slots":)" + slots + "}" + std::string(ResultLineEnd());
        },
        chunk);
    std::string text;
    Status status = peer.List(&text);
    ASSERT_TRUE(status) << status.error().message << " (chunks of " << chunk << ")";
    EXPECT_EQ(text, slots);
  }
}

TEST(ClientTest, ReadsAnyOtherLayoutWhole) {
  ScriptedPeer peer;
  peer.Answer([](const Json& id) { return EncodeResult(id, {{"a", 1}, {"slots", {1, 2}}}); }, 5);
  std::string text;
  ASSERT_TRUE(peer.List(&text));
  EXPECT_EQ(text, "[1,2]");
}

TEST(ClientTest, ReportsTheDaemonsError) {
  ScriptedPeer peer;
  peer.Answer([](const Json& id) { return EncodeError(id, Error{ErrorCode::kSealed, "sealed"}); },
              4);
  std::string text;
  Status status = peer.List(&text);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kSealed);
}

TEST(ClientTest, FailsOnAReplyCutShortOrMalformed) {
  const struct {
    std::string after_start;  // what follows ResultLineStart
    ErrorCode code;
  } cases[] = {
      {R"({"slots":[{"ref":"dev/a"},)", ErrorCode::kUnavailable},  // the daemon closed
      {"{\"slots\":[{\"ref\"\n", ErrorCode::kProtocol},            // a newline inside
      {R"({"slots":[1]},"v":2})"
       "\n",
       ErrorCode::kProtocol},  // another version
      {R"({"slots":[1],"more":2},"v":1})"
       "\n",
       ErrorCode::kProtocol},  // not the last member
  };
  for (const auto& c : cases) {
    ScriptedPeer peer;
    peer.Answer([&](const Json& id) { return ResultLineStart(id) + c.after_start; }, 7);
    std::string text;
    Status status = peer.List(&text);
    ASSERT_FALSE(status) << c.after_start;
    EXPECT_EQ(status.error().code, c.code) << c.after_start << ": " << status.error().message;
    if (c.code == ErrorCode::kUnavailable) {
      EXPECT_NE(status.error().message.find("before its reply was complete"), std::string::npos)
          << status.error().message;
    }
  }
}

}  // namespace

TEST(SlotJsonTest, TextIsWhatJsonDumpWrites) {
  std::string text;
  AppendSlotJson(text, SampleSlot(), 1763719200);
  Json parsed = Json::parse(text);
  // Same bytes as a Json tree dumps: sorted keys, the same escapes, invalid
  // UTF-8 replaced.
  EXPECT_EQ(parsed.dump(-1, ' ', false, Json::error_handler_t::replace), text);
  EXPECT_EQ(parsed, SlotToJson(SampleSlot(), 1763719200));
  EXPECT_EQ(parsed["ref"], "dev/openrouter");
  EXPECT_EQ(parsed["state"], "verified");
  EXPECT_EQ(parsed["rotation_due_at"], FormatTime(1763719201 + 90 * 86400));
  EXPECT_EQ(parsed["reminder_due"], false);
  EXPECT_EQ(parsed["versions"][0]["verified_at"], "2025-11-21T10:00:01Z");
  EXPECT_TRUE(parsed["versions"][0]["next_check_at"].is_null());
  EXPECT_EQ(parsed["versions"][0]["checks"][1]["detail"],
            "No \"auth\"\\credentials\n\x01 bad \xef\xbf\xbd utf-8 [{");
  EXPECT_EQ(parsed["diagnoses"][0]["message"], "tab\there");
}

TEST(SlotJsonTest, ASlotWithoutVersionsHasNullState) {
  Slot slot = SampleSlot();
  slot.versions.clear();
  slot.current_version.reset();
  std::string text;
  AppendSlotJson(text, slot, 0);
  Json parsed = Json::parse(text);
  EXPECT_EQ(parsed.dump(), text);
  EXPECT_TRUE(parsed["state"].is_null());
  EXPECT_EQ(parsed["versions"], Json::array());
  EXPECT_EQ(parsed["diagnoses"], Json::array());
}

// Feeds `text` to a JsonIndenter in pieces of `piece` bytes; returns the
// output and, through `used`, how many bytes it took.
std::string Indent(std::string_view text, size_t piece, size_t* used = nullptr) {
  JsonIndenter indenter;
  std::string out;
  size_t at = 0;
  while (at < text.size() && !indenter.done()) {
    std::string_view part = text.substr(at, piece);
    const size_t taken = indenter.Feed(part, out);
    at += taken;
    if (taken < part.size()) {
      EXPECT_TRUE(indenter.done());
    }
  }
  if (used) *used = at;
  return out;
}

TEST(JsonTextTest, IndentsExactlyAsDumpTwoWhateverThePieces) {
  Json value = {{"a", Json::array()},
                {"b", Json::object()},
                {"c", {1, "x,]}{[\":", nullptr, true, {{"d", -2.5}}}},
                {"e", "quote \" and \\ and \n and \\\""},
                {"f", Json::parse(R"({"g": [[], {}, {"h": "}"}]})")}};
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{4096}}) {
    size_t used = 0;
    EXPECT_EQ(Indent(value.dump(), piece, &used), value.dump(2)) << "pieces of " << piece;
    EXPECT_EQ(used, value.dump().size());
  }
}

TEST(JsonTextTest, IndentsBeyondThirtyTwoLevels) {
  // Newline writes up to 32 levels of indentation in one append; deeper
  // ones go the long way, with the same result.
  Json value = {{"deep", 12345}, {"s", "a b"}};
  for (int i = 0; i < 40; ++i) value = Json::array({value, i});
  for (size_t piece : {size_t{1}, size_t{3}, size_t{4096}}) {
    EXPECT_EQ(Indent(value.dump(), piece), value.dump(2)) << "pieces of " << piece;
  }
}

TEST(JsonTextTest, IndenterStopsWhereTheValueEnds) {
  for (size_t piece : {size_t{1}, size_t{5}, size_t{100}}) {
    size_t used = 0;
    EXPECT_EQ(Indent(R"([1,[]]},"v":1})", piece, &used), "[\n  1,\n  []\n]");
    EXPECT_EQ(used, 6u);
    EXPECT_EQ(Indent(R"("a\"}b"}x)", piece, &used), R"("a\"}b")");
    EXPECT_EQ(used, 7u);
    EXPECT_EQ(Indent("-12.5e3,1", piece, &used), "-12.5e3");
    EXPECT_EQ(used, 7u);
    EXPECT_EQ(Indent(" {} ]", piece, &used), "{}");
    EXPECT_EQ(used, 3u);
  }
}

TEST(JsonTextTest, FindsMembersAndRejectsUnbalancedText) {
  std::string text = R"({"x": "}", "slots": [{"a": [1, 2]}, {}], "y": 3})";
  EXPECT_EQ(FindJsonMember(text, "slots"), R"([{"a": [1, 2]}, {}])");
  EXPECT_EQ(FindJsonMember(text, "y"), "3");
  EXPECT_FALSE(FindJsonMember(text, "z"));
  EXPECT_FALSE(FindJsonMember("[1]", "x"));
  EXPECT_EQ(SkipJsonValue(R"({"a": [1, 2})", 0), std::string_view::npos);
  EXPECT_EQ(SkipJsonValue(R"(["unclosed])", 0), std::string_view::npos);
}

TEST(JsonTextTest, ResponseMemberTextChecksTheEnvelope) {
  std::string line =
      ResultLineStart(Json(4)) + R"({"slots":[{"ref":"dev/a"}]})" + std::string(ResultLineEnd());
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  EXPECT_EQ(
      line,
      EncodeResult(Json(4), Json::parse(R"({"slots":[{"ref":"dev/a"}]})")).substr(0, line.size()));
  Result<std::string_view> slots = ResponseMemberText(line, Json(4), "slots");
  ASSERT_TRUE(slots);
  EXPECT_EQ(*slots, R"([{"ref":"dev/a"}])");
  EXPECT_EQ(ResponseMemberText(line, Json(5), "slots").error().code, ErrorCode::kProtocol);
  EXPECT_EQ(ResponseMemberText(line, Json(4), "other").error().code, ErrorCode::kProtocol);
  std::string error = EncodeError(Json(4), Error{ErrorCode::kSealed, "sealed"});
  error.pop_back();
  EXPECT_EQ(ResponseMemberText(error, Json(4), "slots").error().code, ErrorCode::kSealed);
  EXPECT_EQ(ResponseMemberText(line.substr(0, line.size() - 3), Json(4), "slots").error().code,
            ErrorCode::kProtocol);
}

}  // namespace keywarden
