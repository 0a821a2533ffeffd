#include "keywarden/protocol.h"

#include <gtest/gtest.h>

namespace keywarden {
namespace {

TEST(ProtocolTest, ParsesAWellFormedRequest) {
  Json id;
  Result<Request> r = ParseRequest(R"({"v":1,"id":7,"method":"slot.show","params":{"ref":"dev/x"}})", &id);
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
      "{\"id\":1,\"method\":\"status\"}",             // no v
      "{\"v\":\"1\",\"id\":1,\"method\":\"status\"}",  // v not a number
      "{\"v\":1,\"method\":\"status\"}",              // no id
      "{\"v\":1,\"id\":1.5,\"method\":\"status\"}",   // id not integer/string
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
  std::string in_string = R"({"v":1,"id":1,"method":"status","params":{"x":")" +
                          std::string(100, '[') + R"(\""}})";
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

TEST(ProtocolTest, TypedParamAccessorsNameTheField) {
  Json params = {{"ref", 5}, {"models", {"a", 1}}};
  Result<std::string> ref = GetString(params, "ref");
  ASSERT_FALSE(ref);
  EXPECT_NE(ref.error().message.find("params.ref"), std::string::npos);
  EXPECT_FALSE(GetStringList(params, "models"));
  Result<std::optional<std::string>> missing = GetOptionalString(params, "endpoint");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

}  // namespace
}  // namespace keywarden
