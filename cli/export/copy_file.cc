#include "export/copy_file.h"

#include <vector>

#include "export/dotenv_file.h"
#include "export/jsonc.h"

namespace keywarden::cli::exporting {
namespace {

constexpr std::string_view kDotenv = "dotenv:";
constexpr std::string_view kJson = "json:";

// "/a/b~1c" as {"a", "b/c"}.
Result<std::vector<std::string>> PointerKeys(std::string_view pointer) {
  if (pointer.empty() || pointer.front() != '/') {
    return Fail(ErrorCode::kInvalidArgument, "a JSON field must start with /");
  }
  std::vector<std::string> keys;
  for (size_t at = 1;;) {
    size_t slash = pointer.find('/', at);
    std::string_view raw = pointer.substr(at, slash == std::string_view::npos ? slash : slash - at);
    std::string key;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        key += raw[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        key += raw[i];
      }
    }
    keys.push_back(std::move(key));
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  return keys;
}

Result<JsoncDocument> ParseJson(std::string_view text) {
  std::string body(text);
  const std::string_view bom = "\xEF\xBB\xBF";
  const size_t start = body.starts_with(bom) ? bom.size() : 0;
  if (body.find_first_not_of(" \t\r\n", start) == std::string::npos) {
    body = std::string(bom.substr(0, start)) + "{}\n";
  }
  // With comments: a JSONC file (VS Code's) and a plain one both parse.
  Result<JsoncDocument> doc = JsoncDocument::Parse(std::move(body), /*comments=*/true);
  if (doc && !doc->value().is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "the top level is not an object");
  }
  return doc;
}

Error UnknownField(std::string_view field) {
  return Error{ErrorCode::kInvalidArgument,
               "unknown kind of field \"" + std::string(field.substr(0, 64)) + "\"",
               "a newer keywarden recorded this copy"};
}

}  // namespace

Result<std::optional<std::string>> ReadKeyField(std::string_view text, std::string_view field) {
  if (field.starts_with(kDotenv)) return ReadDotenv(text, field.substr(kDotenv.size()));
  if (!field.starts_with(kJson)) return std::unexpected(UnknownField(field));
  Result<std::vector<std::string>> keys = PointerKeys(field.substr(kJson.size()));
  if (!keys) return std::unexpected(keys.error());
  Result<JsoncDocument> doc = ParseJson(text);
  if (!doc) return std::unexpected(doc.error());
  const OrderedJson* at = &doc->value();
  for (const std::string& key : *keys) {
    if (!at->is_object()) return std::optional<std::string>();
    auto it = at->find(key);
    if (it == at->end()) return std::optional<std::string>();
    at = &*it;
  }
  if (!at->is_string()) return std::optional<std::string>();
  return at->get<std::string>();
}

Result<std::string> ReplaceKeyField(std::string_view text, std::string_view field,
                                    std::string_view secret) {
  if (field.starts_with(kDotenv)) {
    return EditDotenv(text, {{std::string(field.substr(kDotenv.size())), std::string(secret)}});
  }
  if (!field.starts_with(kJson)) return std::unexpected(UnknownField(field));
  Result<std::vector<std::string>> keys = PointerKeys(field.substr(kJson.size()));
  if (!keys) return std::unexpected(keys.error());
  Result<JsoncDocument> doc = ParseJson(text);
  if (!doc) return std::unexpected(doc.error());
  if (Status set = doc->Set(*keys, std::string(secret)); !set) {
    return std::unexpected(set.error());
  }
  return doc->text();
}

}  // namespace keywarden::cli::exporting
