// Inputs the fuzz targets (fuzz/) found to break something, each kept as a
// test of the behaviour it broke; the reproducers themselves are in
// fuzz/corpus/<target>/crash-* and regression-*.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "export/yaml_edit.h"
#include "unit/handler_fixture.h"

namespace keywarden {
namespace {

using cli::exporting::OrderedJson;
using cli::exporting::UpsertYamlListItem;

// --- YAML (Continue) ------------------------------------------------------

OrderedJson ContinueEntry() {
  return {{"name", "keywarden-dev-openrouter"},
          {"provider", "openrouter"},
          {"model", "deepseek/deepseek-chat"},
          {"apiKey", "${{ secrets.KEYWARDEN_DEV_OPENROUTER }}"},
          {"roles", {"chat", "edit", "apply"}}};
}

// A reproducer in fuzz/corpus/, less the target's header byte.
std::string Reproducer(const std::string& name) {
  std::ifstream in(std::string(KW_SOURCE_DIR) + "/fuzz/corpus/" + name, std::ios::binary);
  std::string data{std::istreambuf_iterator<char>(in), {}};
  return data.empty() ? data : data.substr(1);
}

const OrderedJson kSkeleton = {{"name", "Local Config"}, {"version", "1.0.0"}, {"schema", "v1"}};

// fuzz/corpus/yaml/crash-no-models-key: yaml-cpp threw from a type test on
// the missing `models` key and the export died.
TEST(YamlEditTest, ConfigWithoutAModelsListGainsOne) {
  const std::string text = "name: Local Config\nversion: 1.0.0\ncontext:\n  - provider: code\n";
  auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
  ASSERT_TRUE(edit) << edit.error().message;
  EXPECT_FALSE(edit->formatting_lost);
  EXPECT_TRUE(edit->text.starts_with(text)) << edit->text;
  EXPECT_NE(edit->text.find("models:\n  - name: keywarden-dev-openrouter\n"), std::string::npos)
      << edit->text;
}

// fuzz/corpus/yaml/crash-model-without-name: the same throw, from the
// lookup of `name` in an item that has none.
TEST(YamlEditTest, ModelWithoutANameIsKeptAndTheEntryAppended) {
  const std::string text = "name: Local Config\nmodels:\n  - provider: ollama\n    model: llama3\n";
  auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
  ASSERT_TRUE(edit) << edit.error().message;
  EXPECT_FALSE(edit->formatting_lost);
  EXPECT_TRUE(edit->text.starts_with(text)) << edit->text;
  EXPECT_NE(edit->text.find("  - name: keywarden-dev-openrouter\n"), std::string::npos)
      << edit->text;
}

// fuzz/corpus/yaml/crash-null-document: a document that parses as null but
// is not blank (`~`) had the new mapping appended after it, which gave a
// file that no longer parses as a mapping.
TEST(YamlEditTest, NullDocumentIsReplacedNotAppendedTo) {
  for (std::string text : {std::string("~\n"), std::string("null")}) {
    auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
    ASSERT_TRUE(edit) << edit.error().message;
    EXPECT_TRUE(edit->formatting_lost);
    EXPECT_TRUE(edit->text.starts_with("name: Local Config\n")) << edit->text;
    auto again = UpsertYamlListItem(edit->text, "models", "name", ContinueEntry(), kSkeleton);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->text, edit->text);
  }
}

// fuzz/corpus/yaml/crash-nul-document, crash-control-characters,
// crash-not-utf8-anchors: control characters YAML does not allow (a NUL
// ends yaml-cpp's input) and bytes that are not UTF-8 let a merge write a
// file that merged differently the next time. They are refused.
TEST(YamlEditTest, ControlCharactersAndNonUtf8AreRefusedWithTheirLine) {
  for (const std::string& text :
       {std::string(" \0", 2), std::string("name: a\nmodels:\n  - name: b\x01\n"),
        Reproducer("yaml/crash-control-characters")}) {
    auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
    ASSERT_FALSE(edit) << edit->text;
    EXPECT_EQ(edit.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(edit.error().message.find("control character"), std::string::npos)
        << edit.error().message;
  }
  for (const std::string& text : {std::string("name: a\nmodels: []\n# caf\xc3\n"),
                                  Reproducer("yaml/crash-not-utf8-anchors")}) {
    auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
    ASSERT_FALSE(edit) << edit->text;
    EXPECT_NE(edit.error().message.find("not UTF-8"), std::string::npos) << edit.error().message;
  }
  auto accented = UpsertYamlListItem("name: caf\xc3\xa9\nmodels: []\n", "models", "name",
                                     ContinueEntry(), kSkeleton);
  EXPECT_TRUE(accented) << accented.error().message;
  auto crlf =
      UpsertYamlListItem("name: a\r\nmodels: []\r\n", "models", "name", ContinueEntry(), kSkeleton);
  EXPECT_TRUE(crlf) << crlf.error().message;
}

// fuzz/corpus/yaml/crash-repeated-key: a top-level key written twice
// (`models:` twice) merged into a file that did not merge again. Refused.
TEST(YamlEditTest, RepeatedTopLevelKeyIsRefused) {
  for (const std::string& text : {std::string("name: a\nmodels: []\nmodels:\n  - name: b\n"),
                                  Reproducer("yaml/crash-repeated-key")}) {
    auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
    ASSERT_FALSE(edit) << edit->text;
    EXPECT_EQ(edit.error().code, ErrorCode::kInvalidArgument);
  }
}

// fuzz/corpus/yaml/crash-value-ending-in-cr: a value ending in a lone CR
// was re-emitted as a file that read back only without its final newline.
TEST(YamlEditTest, RewriteIsCheckedAsWrittenWithItsNewline) {
  std::string text = Reproducer("yaml/crash-value-ending-in-cr");
  ASSERT_FALSE(text.empty());
  auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
  if (edit) {
    auto again = UpsertYamlListItem(edit->text, "models", "name", ContinueEntry(), kSkeleton);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->text, edit->text);
  } else {
    EXPECT_EQ(edit.error().code, ErrorCode::kConflict);
  }
}

// fuzz/corpus/yaml/crash-top-level-comma: yaml-cpp's LoadAll read empty
// documents without end after a ',' at the top level, until memory ran out.
TEST(YamlEditTest, TopLevelCommaIsRefusedNotLoopedOn) {
  for (const char* text : {",", ",e:", "[a], b", "{a: b}, c"}) {
    auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
    ASSERT_FALSE(edit) << text;
    EXPECT_EQ(edit.error().code, ErrorCode::kConflict) << text;
  }
}

// fuzz/corpus/yaml/crash-rewrite-does-not-parse: a file that needed
// re-writing whole (here, for bytes that are not UTF-8) was re-emitted by
// yaml-cpp as text that yaml-cpp itself cannot read back.
TEST(YamlEditTest, FileThatCannotBeRewrittenSafelyIsRefused) {
  std::string text = Reproducer("yaml/crash-rewrite-does-not-parse");
  ASSERT_FALSE(text.empty());
  auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
  if (edit) {
    // Whatever keywarden writes must read back.
    auto again = UpsertYamlListItem(edit->text, "models", "name", ContinueEntry(), kSkeleton);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->text, edit->text);
  } else {
    // Refused: as a rewrite that would not read back, or for its control
    // characters.
    EXPECT_TRUE(edit.error().code == ErrorCode::kConflict ||
                edit.error().code == ErrorCode::kInvalidArgument)
        << edit.error().message;
  }
}

TEST(YamlEditTest, CommentsOnlyFileKeepsItsComments) {
  auto edit = UpsertYamlListItem("# mine\n", "models", "name", ContinueEntry(), kSkeleton);
  ASSERT_TRUE(edit) << edit.error().message;
  EXPECT_FALSE(edit->formatting_lost);
  EXPECT_TRUE(edit->text.starts_with("# mine\nname: Local Config\n")) << edit->text;
}

// --- Protocol ---------------------------------------------------------------

// fuzz/corpus/protocol/regression-revoke-version-wraps: version 4294967297
// was cast to int, wrapped to 1, and revoked version 1.
// fuzz/corpus/yaml/regression-explicit-null-key, from a 100,000-input run:
// a file ending in an explicit key with no name (`? `, a null key) kept its
// layout on the first merge and was re-emitted whole on the second, because
// that key's mark lies past its line and the list's last item swallowed it.
TEST(YamlEditTest, ExplicitNullKeyMergesTheSameTwice) {
  for (std::string text : {std::string("name: x\n? \n"), std::string("name: x\nmodels: []\n? \n"),
                           std::string("models:\n  - name: a\n? \n"), std::string("? \nname: x\n"),
                           std::string("name: x\n? "), std::string("models:\n  - name: a\n? "),
                           std::string("models:\n- name: a\n? "), std::string("a: 1\n? \n? ")}) {
    auto edit = UpsertYamlListItem(text, "models", "name", ContinueEntry(), kSkeleton);
    if (!edit) {
      ADD_FAILURE() << text << ": " << edit.error().message;
      continue;
    }
    auto again = UpsertYamlListItem(edit->text, "models", "name", ContinueEntry(), kSkeleton);
    ASSERT_TRUE(again) << edit->text << ": " << again.error().message;
    EXPECT_EQ(again->text, edit->text) << "from: " << text;
    EXPECT_EQ(again->formatting_lost, false) << "from: " << text << "\nfirst: " << edit->text;
  }
}

TEST_F(HandlerTest, RevokeOfAVersionBeyondIntRangeIsRefusedAndRevokesNothing) {
  ASSERT_TRUE(Call("slot.add", {{"ref", "dev/deepseek"},
                                {"provider", "deepseek"},
                                {"models", Json::array({"deepseek-chat"})},
                                {"secret", "sk-" + std::string(32, 'a')}}));
  for (Json version : {Json(4294967297LL), Json(int64_t{1} << 40), Json(2147483648LL)}) {
    auto revoked = Call("slot.revoke", {{"ref", "dev/deepseek"}, {"version", version}});
    ASSERT_FALSE(revoked) << version;
    EXPECT_EQ(revoked.error().code, ErrorCode::kInvalidArgument);
  }
  auto shown = Call("slot.show", {{"ref", "dev/deepseek"}});
  ASSERT_TRUE(shown) << shown.error().message;
  EXPECT_EQ((*shown)["slot"]["pending_version"], 1);
}

}  // namespace
}  // namespace keywarden
