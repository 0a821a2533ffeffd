// What the built binaries carry: the CLI links no store, so neither SQLite
// (code, symbols, a shared library it needs) nor the store's SQL is in it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace keywarden::testing {
namespace {

// The whole file, lower-cased: symbol names (.symtab, .dynsym), the shared
// libraries it needs (.dynstr) and its string literals all show as bytes.
std::string LowerCaseBytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::transform(bytes.begin(), bytes.end(), bytes.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return bytes;
}

// Where `needle` occurs in `haystack`, with a few bytes around it, for the
// failure message; "" when it does not.
std::string FirstOccurrence(const std::string& haystack, const std::string& needle) {
  const size_t at = haystack.find(needle);
  if (at == std::string::npos) return "";
  const size_t from = at < 40 ? 0 : at - 40;
  std::string around = haystack.substr(from, 120);
  for (char& c : around) {
    if (!std::isprint(static_cast<unsigned char>(c))) c = '.';
  }
  return around;
}

TEST(CliLinkTest, CliBinaryHoldsNoSqlite) {
  const std::string cli = LowerCaseBytes(KW_CLI_PATH);
  ASSERT_GT(cli.size(), 100000u) << KW_CLI_PATH;
  // "sqlite" covers sqlite3_* symbols, libsqlite3.so, SQLiteCpp and the
  // store's classes and migrations.
  EXPECT_EQ(FirstOccurrence(cli, "sqlite"), "");
  EXPECT_EQ(FirstOccurrence(cli, "create table"), "");
}

// The same search finds SQLite where it is: the check above can fail.
TEST(CliLinkTest, DaemonBinaryHoldsSqlite) {
  const std::string daemon = LowerCaseBytes(KW_DAEMON_PATH);
  EXPECT_NE(FirstOccurrence(daemon, "sqlite3_"), "");
  EXPECT_NE(FirstOccurrence(daemon, "create table"), "");
}

}  // namespace
}  // namespace keywarden::testing
