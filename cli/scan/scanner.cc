// The key scanner (scanner.h). Provider facts come from the catalogue
// (schema/providers.json): a value is a key only when it has the shape of
// a provider's key. The variable or field name says which provider; without
// one, only a key with a provider's own prefix counts (a Mistral key has
// none, so a bare 32-character word is never taken for one).
#include "scan/scanner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <system_error>

#include "export/common.h"
#include "export/jsonc.h"
#include "keywarden/keyformat.h"
#include "keywarden/providers.h"
#include "keywarden/regular_file.h"
#include "keywarden/secret.h"

namespace keywarden::cli::scan {
namespace {

namespace fs = std::filesystem;
using exporting::OrderedJson;

// Real keys are at most a few hundred bytes (keyformat.cc allows 4096).
constexpr size_t kMinKey = 20, kMaxKey = 4096;

std::string Normalize(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '_' || c == '-' || c == '.' || c == ' ') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Variable and field names that say which provider a key is for, after
// Normalize. Tools' own names (ide-configs: Cline, Roo, aider, Claude Code,
// Codex) and the SDKs' variables.
const std::map<std::string, std::string, std::less<>>& NameTable() {
  static const std::map<std::string, std::string, std::less<>> table = {
      {"openrouterapikey", "openrouter"},
      {"mistralapikey", "mistral"},
      {"codestralapikey", "mistral"},
      {"geminiapikey", "gemini"},
      {"googleapikey", "gemini"},
      {"googlegenerativeaiapikey", "gemini"},
      {"googleaiapikey", "gemini"},
      {"openaiapikey", "openai"},
      {"openaiadminkey", "openai"},
      {"openainativeapikey", "openai"},
      {"aideropenaiapikey", "openai"},
      {"anthropicapikey", "anthropic"},
      {"anthropicauthtoken", "anthropic"},
      {"anthropicadminkey", "anthropic"},
      {"aideranthropicapikey", "anthropic"},
      {"primaryapikey", "anthropic"},  // ~/.claude.json
      {"deepseekapikey", "deepseek"},
  };
  return table;
}

// A provider id as tools spell it ("openai-native", "google") to the
// catalogue's; "" when it names none.
std::string ProviderFromId(std::string_view id) {
  static const std::map<std::string, std::string, std::less<>> ids = {
      {"openrouter", "openrouter"}, {"mistral", "mistral"},     {"codestral", "mistral"},
      {"gemini", "gemini"},         {"google", "gemini"},       {"openai", "openai"},
      {"openainative", "openai"},   {"anthropic", "anthropic"}, {"deepseek", "deepseek"},
  };
  auto it = ids.find(Normalize(id));
  return it == ids.end() ? std::string() : it->second;
}

// Names that hold a key but do not say whose: the provider comes from the
// context (a sibling "provider" field, an enclosing provider entry).
bool IsGenericKeyName(std::string_view name) {
  static const std::set<std::string, std::less<>> generic = {
      "apikey", "key", "token", "apitoken", "accesstoken", "experimentalbearertoken", "authtoken"};
  return generic.contains(Normalize(name));
}

std::string ProviderFromName(std::string_view name) {
  auto it = NameTable().find(Normalize(name));
  return it == NameTable().end() ? std::string() : it->second;
}

bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// The catalogue's providers whose pattern begins with a literal prefix
// ("sk-or-v1-", "AIza"), and that prefix.
struct Prefixed {
  const ProviderInfo* provider;
  std::string prefix;
};

const std::vector<Prefixed>& PrefixedProviders() {
  static const std::vector<Prefixed> list = [] {
    std::vector<Prefixed> out;
    for (const ProviderInfo& p : Catalogue::Builtin().All()) {
      std::string_view pattern = p.key_pattern;
      if (!pattern.starts_with('^')) continue;
      std::string prefix;
      for (char c : pattern.substr(1)) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') break;
        prefix += c;
      }
      if (prefix.size() >= 3) out.push_back({&p, prefix});
    }
    return out;
  }();
  return list;
}

bool MatchesProvider(std::string_view value, std::string_view provider) {
  for (const ProviderInfo* p : Catalogue::Builtin().MatchingPattern(value)) {
    if (p->id == provider) return true;
  }
  return false;
}

struct Verdict {
  std::string provider, by;
};

// What `value`, held under `name_provider` ("" when the name says nothing),
// is: a key of which provider, and how that is known. nullopt: not a key.
std::optional<Verdict> Classify(std::string_view value, std::string_view name_provider) {
  if (value.size() < kMinKey || value.size() > kMaxKey) return std::nullopt;
  if (!std::all_of(value.begin(), value.end(), IsKeyChar)) return std::nullopt;
  if (!name_provider.empty() && MatchesProvider(value, name_provider)) {
    return Verdict{std::string(name_provider), "name"};
  }
  for (const Prefixed& p : PrefixedProviders()) {
    if (value.starts_with(p.prefix) && MatchesProvider(value, p.provider->id)) {
      return Verdict{p.provider->id, "prefix"};
    }
  }
  return std::nullopt;
}

// Could the token start a prefixed key? A cheap test before the regexes.
bool MayBePrefixed(std::string_view token) {
  if (token.size() < kMinKey) return false;
  for (const Prefixed& p : PrefixedProviders()) {
    if (token.starts_with(p.prefix)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view Unquote(std::string_view s) {
  s = Trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

// The value after a separator: a quoted string up to its closing quote, or
// a bare word up to whitespace, a comment or a trailing comma.
std::string_view ValueOf(std::string_view rest) {
  rest = Trim(rest);
  if (rest.empty()) return rest;
  if (rest.front() == '"' || rest.front() == '\'') {
    size_t close = rest.find(rest.front(), 1);
    return close == std::string_view::npos ? rest.substr(1) : rest.substr(1, close - 1);
  }
  size_t end = 0;
  while (end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[end])) &&
         rest[end] != ',' && rest[end] != ';' && rest[end] != '#') {
    ++end;
  }
  return rest.substr(0, end);
}

struct Line {
  std::string_view text;
  size_t number = 0;
};

// The file's lines: BOM dropped, "\r\n" and "\n" ends.
std::vector<Line> SplitLines(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<Line> lines;
  size_t number = 1;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back({line, number++});
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// One NAME/value pair of a line.
struct Pair {
  std::string name;
  std::string_view value;
};

// The assignments a line makes: NAME=value, export NAME=value, fish's
// set -gx NAME value, key: value (YAML), key = "value" (TOML), an inline
// YAML list [a=b, c=d], and aider's provider=key items.
std::vector<Pair> Assignments(std::string_view line, Format format) {
  std::vector<Pair> pairs;
  line = Trim(line);
  if (line.starts_with("- ")) line = Trim(line.substr(2));
  for (std::string_view word : {"export ", "declare -x ", "setenv "}) {
    if (line.starts_with(word)) line = Trim(line.substr(word.size()));
  }
  if (format == Format::kShell && line.starts_with("set ")) {
    // set [-gxU…] NAME value
    std::string_view rest = Trim(line.substr(4));
    while (rest.starts_with('-')) {
      size_t space = rest.find(' ');
      if (space == std::string_view::npos) return pairs;
      rest = Trim(rest.substr(space));
    }
    size_t space = rest.find(' ');
    if (space == std::string_view::npos) return pairs;
    pairs.push_back({std::string(rest.substr(0, space)), ValueOf(rest.substr(space))});
    return pairs;
  }
  const char separator = format == Format::kYaml || format == Format::kJson ? ':' : '=';
  size_t at = line.find(separator);
  if (at == std::string_view::npos) {
    // An aider list item: "- openrouter=sk-…".
    if (format == Format::kYaml && line.find('=') != std::string_view::npos) {
      size_t eq = line.find('=');
      pairs.push_back({std::string(Unquote(line.substr(0, eq))), ValueOf(line.substr(eq + 1))});
    }
    return pairs;
  }
  std::string name(Unquote(line.substr(0, at)));
  std::string_view rest = Trim(line.substr(at + 1));
  if (format == Format::kYaml && rest.starts_with('[')) {
    // api-key: [openrouter=…, mistral=…]
    rest.remove_prefix(1);
    if (size_t close = rest.find(']'); close != std::string_view::npos)
      rest = rest.substr(0, close);
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = Unquote(rest.substr(0, comma));
      if (size_t eq = item.find('='); eq != std::string_view::npos) {
        pairs.push_back({std::string(Trim(item.substr(0, eq))), Trim(item.substr(eq + 1))});
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return pairs;
  }
  std::string_view value = ValueOf(rest);
  if (format == Format::kYaml && Normalize(name) == "apikey") {
    // aider's api-key: openrouter=sk-…
    if (size_t eq = value.find('='); eq != std::string_view::npos) {
      pairs.push_back({std::string(value.substr(0, eq)), value.substr(eq + 1)});
      return pairs;
    }
  }
  pairs.push_back({std::move(name), value});
  return pairs;
}

// A model name as the tool writes it, without the find's provider in front
// ("openrouter/anthropic/claude-sonnet-4.5" → "anthropic/claude-sonnet-4.5",
// aider's way). "" when the name is for another provider; an OpenRouter
// model is vendor/model, so its first part is no provider's.
std::string ModelFor(std::string_view model, std::string_view provider) {
  size_t slash = model.find('/');
  if (slash != std::string_view::npos) {
    std::string named = ProviderFromId(model.substr(0, slash));
    if (named == provider) return std::string(model.substr(slash + 1));
    if (!named.empty() && provider != "openrouter") return "";
  }
  return std::string(model);
}

bool IsModelField(std::string_view name) {
  static const std::set<std::string, std::less<>> fields = {
      "model",         "modelid",        "apimodelid",  "openroutermodelid",
      "openaimodelid", "anthropicmodel", "geminimodel", "defaultmodel"};
  return fields.contains(Normalize(name));
}

struct Builder {
  std::string_view tool;
  const fs::path& file;
  std::vector<Find> finds;
  std::set<std::pair<size_t, size_t>> seen;  // (line, hash of the key) already found

  void Add(size_t line, std::string field, const Verdict& verdict, std::string_view value,
           bool comment, std::vector<std::string> models, std::string copy_field = {}) {
    // The same key twice on one line (a comment quoting it) is one find.
    if (!seen.insert({line, std::hash<std::string_view>{}(value)}).second) return;
    Find find;
    find.file = file;
    find.line = line;
    find.field = std::move(field);
    find.copy_field = comment ? std::string() : std::move(copy_field);
    find.tool = std::string(tool);
    find.provider = verdict.provider;
    find.by = verdict.by;
    find.comment = comment;
    for (const std::string& model : models) {
      std::string mine = ModelFor(model, verdict.provider);
      if (!mine.empty() &&
          std::find(find.models.begin(), find.models.end(), mine) == find.models.end()) {
        find.models.push_back(std::move(mine));
      }
    }
    find.key = SecretBuffer::Copy(value);
    finds.push_back(std::move(find));
  }
};

bool IsCommentLine(std::string_view line) {
  line = Trim(line);
  return line.starts_with('#') || line.starts_with("//") || line.starts_with(';');
}

std::string_view Uncommented(std::string_view line) {
  line = Trim(line);
  while (line.starts_with('#') || line.starts_with('/') || line.starts_with(';')) {
    line.remove_prefix(1);
  }
  return Trim(line);
}

bool IsVariableName(std::string_view name) {
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
         });
}

size_t Indent(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
  return n;
}

// Line formats: each assignment, with YAML list items (Continue's models)
// as the context of a generic apiKey and the source of its model.
void ScanLines(const std::vector<Line>& lines, Format format, Builder& out) {
  // Pass 1: YAML list items, their provider and model; top-level model.
  std::vector<int> item_of(lines.size(), -1);
  std::vector<std::string> item_provider, item_model;
  std::vector<std::string> file_models;
  int item = -1;
  size_t item_indent = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view text = lines[i].text;
    if (Trim(text).empty() || IsCommentLine(text)) continue;
    size_t indent = Indent(text);
    std::string_view body = Trim(text);
    if (format == Format::kYaml && body.starts_with("- ") && (item < 0 || indent <= item_indent)) {
      item = static_cast<int>(item_provider.size());
      item_indent = indent;
      item_provider.emplace_back();
      item_model.emplace_back();
    } else if (item >= 0 && indent <= item_indent) {
      item = -1;
    }
    item_of[i] = item;
    for (const Pair& pair : Assignments(text, format)) {
      std::string key = Normalize(pair.name);
      if (item >= 0 && key == "provider") item_provider[item] = ProviderFromId(pair.value);
      if (IsModelField(pair.name)) {
        if (item >= 0) {
          item_model[item] = std::string(pair.value);
        } else if (indent == 0) {
          file_models.emplace_back(pair.value);
        }
      }
    }
  }
  // Pass 2: the keys.
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    const bool comment = IsCommentLine(line.text);
    std::string_view text = comment ? Uncommented(line.text) : line.text;
    for (const Pair& pair : Assignments(text, format)) {
      std::string name_provider = ProviderFromName(pair.name);
      if (name_provider.empty()) name_provider = ProviderFromId(pair.name);  // aider items
      const int it = item_of[i];
      if (name_provider.empty() && IsGenericKeyName(pair.name) && it >= 0) {
        name_provider = item_provider[it];
      }
      std::optional<Verdict> verdict = Classify(pair.value, name_provider);
      if (!verdict) continue;
      std::vector<std::string> models = file_models;
      if (it >= 0 && !item_model[it].empty()) models = {item_model[it]};
      // A NAME=value line (not fish's `set`) is one sync rewrites.
      std::string copy_field;
      if ((format == Format::kDotenv || format == Format::kShell) && IsVariableName(pair.name) &&
          !Trim(text).starts_with("set ")) {
        copy_field = "dotenv:" + pair.name;
      }
      out.Add(line.number, pair.name, *verdict, pair.value, comment, std::move(models),
              std::move(copy_field));
    }
  }
}

struct JsonWalk {
  std::string_view text;
  const std::vector<size_t>& line_starts;
  Builder& out;
  std::map<std::string, size_t> next_search;  // where to look for a value's next occurrence
  std::vector<std::string> top_models;

  size_t LineOf(const std::string& value) {
    std::string quoted = "\"" + value + "\"";
    size_t from = next_search[value];
    size_t at = text.find(quoted, from);
    if (at == std::string_view::npos) at = text.find(quoted);
    if (at == std::string_view::npos) return 0;
    next_search[value] = at + quoted.size();
    return static_cast<size_t>(std::upper_bound(line_starts.begin(), line_starts.end(), at) -
                               line_starts.begin());
  }

  void Walk(const OrderedJson& node, const std::string& path, const std::string& pointer,
            std::string context) {
    if (node.is_array()) {
      for (size_t i = 0; i < node.size(); ++i) {
        Walk(node[i], path + "[" + std::to_string(i) + "]", pointer + "/" + std::to_string(i),
             context);
      }
      return;
    }
    if (!node.is_object()) return;
    std::vector<std::string> models;
    for (const auto& [name, value] : node.items()) {
      if (!value.is_string()) continue;
      const std::string key = Normalize(name);
      if (key == "provider" || key == "apiprovider") {
        if (std::string p = ProviderFromId(value.get<std::string>()); !p.empty()) context = p;
      }
      if (IsModelField(name)) models.push_back(value.get<std::string>());
    }
    if (models.empty()) models = top_models;
    for (const auto& [name, value] : node.items()) {
      const std::string field = path.empty() ? name : path + "." + name;
      if (value.is_string()) {
        std::string name_provider = ProviderFromName(name);
        if (name_provider.empty() && IsGenericKeyName(name)) name_provider = context;
        const std::string& text_value = value.get_ref<const std::string&>();
        std::optional<Verdict> verdict = Classify(text_value, name_provider);
        if (verdict) {
          out.Add(LineOf(text_value), field, *verdict, text_value, false, models,
                  "json:" + pointer + exporting::JsonPointerStep(name));
        }
      } else {
        // An entry named after a provider (Cline's providers.openrouter,
        // opencode's "openrouter": {"key": …}) is the context below it.
        std::string below = ProviderFromId(name);
        Walk(value, field, pointer + exporting::JsonPointerStep(name),
             below.empty() ? context : below);
      }
    }
  }
};

// Keys with a provider's prefix anywhere in a line that the structured
// pass did not take: a key in a comment, in an unparsed file, in prose.
void ScanPrefixedTokens(const std::vector<Line>& lines, Builder& out) {
  for (const Line& line : lines) {
    std::string_view text = line.text;
    size_t pos = 0;
    while (pos < text.size()) {
      while (pos < text.size() && !IsKeyChar(text[pos])) ++pos;
      size_t end = pos;
      while (end < text.size() && IsKeyChar(text[end])) ++end;
      std::string_view token = text.substr(pos, end - pos);
      // A trailing '.' ends a sentence, not a key.
      while (token.ends_with('.')) token.remove_suffix(1);
      if (MayBePrefixed(token)) {
        if (std::optional<Verdict> verdict = Classify(token, ""); verdict) {
          out.Add(line.number, "", *verdict, token, IsCommentLine(text), {});
        }
      }
      pos = end;
    }
  }
}

fs::path FromEnv(const Options& options, const char* var, const fs::path& fallback) {
  if (!options.getenv) return fallback;
  const char* value = options.getenv(var);
  return value != nullptr && *value != '\0' ? fs::path(value) : fallback;
}

bool IsEnvFileName(std::string_view name) {
  return name == ".env" || name.starts_with(".env.") || name == ".envrc";
}

// Build trees: by name, and any directory CMake configured.
bool IsSkippedDir(const fs::path& dir, std::string_view name) {
  static const std::set<std::string, std::less<>> names = {
      ".git",  "node_modules", "build",       "dist",        "target",       "out",
      ".venv", "venv",         "__pycache__", ".cache",      ".tox",         ".hg",
      ".svn",  ".gradle",      ".next",       ".mypy_cache", ".pytest_cache"};
  if (names.contains(name) || name.starts_with("cmake-build-") || name.starts_with("build-")) {
    return true;
  }
  std::error_code ec;
  return fs::exists(dir / "CMakeCache.txt", ec);
}

// The format and tool of a file found in a tree, or nullopt to pass it by.
std::optional<Source> TreeSource(const fs::path& path) {
  const std::string name = path.filename().string();
  const std::string parent = path.parent_path().filename().string();
  if (IsEnvFileName(name)) {
    return Source{path, name == ".envrc" ? Format::kShell : Format::kDotenv,
                  parent == ".gemini" ? "gemini-cli" : (name == ".envrc" ? "shell" : "dotenv")};
  }
  if (name == ".aider.conf.yml") return Source{path, Format::kYaml, "aider"};
  if (parent == ".claude" && (name == "settings.json" || name == "settings.local.json")) {
    return Source{path, Format::kJson, "claude-code"};
  }
  return std::nullopt;
}

bool IsWithin(const fs::path& path, const fs::path& root) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end();
}

struct Walker {
  const Options& options;
  Report& report;
  std::vector<Source> found;

  void Dir(const fs::path& root_canonical, const fs::path& dir, int depth) {
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) {
      report.skipped.push_back({dir, ec == std::errc::permission_denied
                                         ? "permission denied"
                                         : "cannot be listed: " + ec.message()});
      return;
    }
    std::vector<fs::directory_entry> entries;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      entries.push_back(*it);
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.path() < b.path(); });
    for (const fs::directory_entry& entry : entries) {
      const fs::path& path = entry.path();
      const std::string name = path.filename().string();
      std::error_code type_ec;
      const bool link = entry.is_symlink(type_ec);
      if (!link && entry.is_directory(type_ec)) {
        if (depth < options.max_depth && !IsSkippedDir(path, name)) {
          Dir(root_canonical, path, depth + 1);
        }
        continue;
      }
      std::optional<Source> source = TreeSource(path);
      if (!source) continue;
      if (link) {
        // A symlink is followed only to a file inside the tree; a directory
        // symlink is never followed (no loops).
        std::error_code canon_ec;
        fs::path target = fs::canonical(path, canon_ec);
        if (canon_ec) {
          report.skipped.push_back({path, canon_ec == std::errc::too_many_symbolic_link_levels
                                              ? "symlink loop"
                                              : "dangling symlink"});
          continue;
        }
        if (!IsWithin(target, root_canonical)) {
          report.skipped.push_back({path, "symlink leaving the tree"});
          continue;
        }
        if (!fs::is_regular_file(target, canon_ec)) continue;
        // The finds name the file itself; once() reads it only once.
        source->path = std::move(target);
      } else if (!entry.is_regular_file(type_ec)) {
        report.skipped.push_back({path, "not a regular file"});
        continue;
      }
      found.push_back(std::move(*source));
    }
  }
};

// Opens `path` without waiting on a FIFO or taking a terminal, checks on
// the open file that it is a regular file within max_bytes, and reads it.
// An error is the Skip reason; "" for a file that does not exist.
Result<std::string> ReadSmallFile(const fs::path& path, uintmax_t max_bytes) {
  auto fail = [](std::string reason) {
    return std::unexpected(Error{ErrorCode::kIo, std::move(reason), ""});
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    switch (errno) {
      case ENOENT:
      case ENOTDIR:
        return fail("");
      case EACCES:
        return fail("permission denied");
      case ELOOP:
        return fail("symlink loop");
      default:
        return fail(std::error_code(errno, std::generic_category()).message());
    }
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st{};
  if (::fstat(fd, &st) != 0) return fail(std::error_code(errno, std::generic_category()).message());
  if (!S_ISREG(st.st_mode)) return fail("is " + std::string(FileTypeName(st.st_mode)));
  if (static_cast<uintmax_t>(st.st_size) > max_bytes) {
    return fail(fmt::format("larger than {} KiB", max_bytes / 1024));
  }
  std::string text(static_cast<size_t>(st.st_size) + 1, '\0');
  size_t got = 0;
  for (;;) {
    if (got == text.size()) {
      if (got > max_bytes) break;  // grew while read: what fits is scanned
      text.resize(std::min<uintmax_t>(text.size() * 2, max_bytes + 1));
    }
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Wipe(text);
      return fail(std::error_code(errno, std::generic_category()).message());
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

// Reads `source` into the report. A known file that does not exist is no
// news.
void ReadSource(const Source& source, const Options& options, Report& report) {
  Result<std::string> text = ReadSmallFile(source.path, options.max_bytes);
  if (!text) {
    if (!text.error().message.empty()) {
      report.skipped.push_back({source.path, text.error().message});
    }
    return;
  }
  // A NUL byte in the first 8 KiB: a binary, whatever its name.
  if (std::string_view(*text).substr(0, 8192).find('\0') != std::string_view::npos) {
    report.skipped.push_back({source.path, "binary"});
    Wipe(*text);
    return;
  }
  std::vector<Find> finds = ScanText(*text, source.format, source.tool, source.path);
  Wipe(*text);
  report.sources.push_back(source);
  for (Find& find : finds) report.finds.push_back(std::move(find));
}

}  // namespace

std::string Find::Masked() const { return MaskKey(key.view()); }

std::vector<Find> ScanText(std::string_view text, Format format, std::string_view tool,
                           const fs::path& file) {
  Builder out{tool, file, {}, {}};
  std::vector<Line> lines = SplitLines(text);
  if (format == Format::kJson) {
    std::string_view body = text;
    size_t bom = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    body.remove_prefix(bom);
    // JSONC: comments and trailing commas allowed, as the tools allow them.
    Result<exporting::JsoncDocument> parsed =
        exporting::JsoncDocument::Parse(std::string(body), /*comments=*/true);
    if (parsed) {
      const OrderedJson& doc = parsed->value();
      std::vector<size_t> line_starts = {0};
      for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\n') line_starts.push_back(i + 1);
      }
      JsonWalk walk{body, line_starts, out, {}, {}};
      if (doc.is_object()) {
        for (const char* top : {"model", "ANTHROPIC_MODEL"}) {
          if (auto it = doc.find(top); it != doc.end() && it->is_string()) {
            walk.top_models.push_back(it->get<std::string>());
          }
        }
        if (auto env = doc.find("env"); env != doc.end() && env->is_object()) {
          if (auto m = env->find("ANTHROPIC_MODEL"); m != env->end() && m->is_string()) {
            walk.top_models.push_back(m->get<std::string>());
          }
        }
      }
      walk.Walk(doc, "", "", "");
    } else {
      ScanLines(lines, Format::kJson, out);
    }
  } else {
    ScanLines(lines, format, out);
  }
  ScanPrefixedTokens(lines, out);
  // By line, keeping the order of finds on one line (std::sort on indices:
  // libstdc++'s stable_sort uses the deprecated get_temporary_buffer).
  std::vector<size_t> order(out.finds.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::pair(out.finds[a].line, a) < std::pair(out.finds[b].line, b);
  });
  std::vector<Find> sorted;
  sorted.reserve(order.size());
  for (size_t i : order) sorted.push_back(std::move(out.finds[i]));
  return sorted;
}

std::vector<Source> KnownFiles(const Options& options) {
  std::vector<Source> files;
  if (options.home.empty()) return files;
  const fs::path& home = options.home;
  const fs::path config = FromEnv(options, "XDG_CONFIG_HOME", home / ".config");
  const fs::path data = FromEnv(options, "XDG_DATA_HOME", home / ".local" / "share");
  const fs::path cline_data =
      FromEnv(options, "CLINE_DATA_DIR", FromEnv(options, "CLINE_DIR", home / ".cline") / "data");
  files.push_back(
      {FromEnv(options, "CLINE_PROVIDER_SETTINGS_PATH", cline_data / "settings" / "providers.json"),
       Format::kJson, "cline"});
  files.push_back({cline_data / "secrets.json", Format::kJson, "cline"});
  const fs::path continue_dir = FromEnv(options, "CONTINUE_GLOBAL_DIR", home / ".continue");
  files.push_back({continue_dir / "config.yaml", Format::kYaml, "continue"});
  files.push_back({continue_dir / "config.json", Format::kJson, "continue"});
  files.push_back({continue_dir / ".env", Format::kDotenv, "continue"});
  files.push_back({config / "keywarden" / "roo-code-settings.json", Format::kJson, "roo"});
  const fs::path claude = FromEnv(options, "CLAUDE_CONFIG_DIR", home / ".claude");
  files.push_back({claude / "settings.json", Format::kJson, "claude-code"});
  files.push_back({claude / "settings.local.json", Format::kJson, "claude-code"});
  files.push_back({home / ".claude.json", Format::kJson, "claude-code"});
  const fs::path codex = FromEnv(options, "CODEX_HOME", home / ".codex");
  files.push_back({codex / "auth.json", Format::kJson, "codex"});
  files.push_back({codex / "config.toml", Format::kToml, "codex"});
  files.push_back({FromEnv(options, "GEMINI_CLI_HOME", home) / ".gemini" / ".env", Format::kDotenv,
                   "gemini-cli"});
  files.push_back({home / ".aider.conf.yml", Format::kYaml, "aider"});
  files.push_back({home / ".env", Format::kDotenv, "dotenv"});
  files.push_back({data / "opencode" / "auth.json", Format::kJson, "opencode"});
  for (const char* rc : {".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zshenv",
                         ".zprofile", ".envrc"}) {
    files.push_back({home / rc, Format::kShell, "shell"});
  }
  files.push_back({config / "fish" / "config.fish", Format::kShell, "shell"});
  std::error_code ec;
  std::vector<fs::path> confs;
  for (fs::directory_iterator it(config / "environment.d", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".conf") confs.push_back(it->path());
  }
  std::sort(confs.begin(), confs.end());
  for (fs::path& conf : confs) files.push_back({std::move(conf), Format::kDotenv, "shell"});
  return files;
}

Report Scan(const Options& options) {
  Report report;
  std::set<fs::path> done;
  // Tree paths are canonical already (a canonical root, no symlink
  // followed but to its canonical target); a known file may be a symlink.
  auto once = [&done](const fs::path& path, bool canonical) {
    std::error_code ec;
    fs::path key = canonical ? path : fs::weakly_canonical(path, ec);
    return done.insert(ec ? path : key).second;
  };
  for (const Source& source : KnownFiles(options)) {
    if (once(source.path, false)) ReadSource(source, options, report);
  }
  for (const fs::path& dir : options.dirs) {
    std::error_code ec;
    fs::path root = fs::canonical(dir, ec);
    if (ec || !fs::is_directory(root, ec)) {
      report.skipped.push_back({fs::absolute(dir), "not a directory"});
      continue;
    }
    Walker walker{options, report, {}};
    walker.Dir(root, root, 0);
    for (const Source& source : walker.found) {
      if (once(source.path, true)) ReadSource(source, options, report);
    }
  }
  return report;
}

}  // namespace keywarden::cli::scan
