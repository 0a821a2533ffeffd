// The dotenv editor behind the .env, Continue and Gemini CLI exports
// (cli/export/dotenv_file.h): setting or removing one variable in
// arbitrary dotenv text.
// Beyond "no crash": an edited file parses again, editing it again the same
// way changes nothing, the variable's line is there as DotenvLine writes
// it, and a file that never named the variable keeps every byte.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "check.h"
#include "export/dotenv_file.h"

namespace {

using keywarden::fuzz::Require;

using keywarden::ErrorCode;
using keywarden::cli::exporting::DotenvEdit;
using keywarden::cli::exporting::DotenvLine;
using keywarden::cli::exporting::EditDotenv;

const char* const kNames[] = {"OPENROUTER_API_KEY", "GEMINI_API_KEY", "KEYWARDEN_DEV_MISTRAL", "A"};

}  // namespace

// Input: byte 0 chooses the edit (bits 0-1: 0 removes, else sets; bits
// 2-3: the variable), byte 1 the value's length N, the next N bytes the
// value; the rest is the file.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool remove = (data[0] & 3) == 0;
  const std::string name = kNames[(data[0] >> 2) % std::size(kNames)];
  const size_t length = std::min<size_t>(data[1], size - 2);
  // Secrets pass CheckKeyFormat first: printable ASCII without spaces.
  std::string value(reinterpret_cast<const char*>(data) + 2, length);
  for (char& c : value) {
    if (c <= ' ' || c >= 0x7f) c = static_cast<char>('!' + static_cast<unsigned char>(c) % 94);
  }
  if (value.empty()) value = "sk-x";
  const std::string text(reinterpret_cast<const char*>(data) + 2 + length, size - 2 - length);

  std::vector<DotenvEdit> edits = {{name, remove ? std::nullopt : std::optional(value)}};
  auto out = EditDotenv(text, edits);
  if (!out) {
    Require(out.error().code == ErrorCode::kInvalidArgument, "an error of the wrong code");
    Require(out.error().message.starts_with("line "), "an error that names no line");
    return 0;
  }
  auto again = EditDotenv(*out, edits);
  Require(again.has_value(), "an edited file does not parse");
  Require(*again == *out, "editing twice the same way changed the file again");
  const std::string line = DotenvLine(name, value) + "\n";
  if (!remove) {
    Require(out->find(line) != std::string::npos, "the variable's line is missing");
  }
  if (text.find(name) == std::string::npos) {
    std::string expected = text;
    if (!remove) {
      if (!expected.empty() && !expected.ends_with('\n')) expected += '\n';
      expected += line;
    }
    Require(*out == expected, "a file without the variable was changed beyond an append");
  }
  return 0;
}
