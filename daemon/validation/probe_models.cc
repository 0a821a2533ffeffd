// ParseModelList and KnownAlias of probe.h.
#include <regex>

#include "validation/probe.h"
#include "validation/probe_json.h"

namespace keywarden {
namespace {

using probe_json::Json;
using probe_json::Member;
using probe_json::StringMember;

// A pinned id ends in a version number: Mistral's YYMM ("codestral-2508"),
// Anthropic's YYYYMMDD.
bool LooksPinned(std::string_view id) {
  size_t dash = id.rfind('-');
  if (dash == std::string_view::npos || id.size() - dash - 1 < 4) return false;
  for (char c : id.substr(dash + 1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Mistral's cards list their other names in `field`: "codestral-2508" has
// ["codestral-latest"] and "codestral-latest" has ["codestral-2508"]. Each
// group maps its unpinned names to its pinned one (the card's own id when
// that is pinned); the first card to name an alias wins.
void AliasesFromCards(const Json& items, const std::string& field,
                      std::map<std::string, std::string>& aliases) {
  for (const Json& item : items) {
    std::vector<std::string> names = {StringMember(item, "id")};
    const Json& others = Member(item, field);
    if (others.is_array()) {
      for (const Json& other : others) {
        if (other.is_string()) names.push_back(other.get<std::string>());
      }
    }
    std::string pinned;
    for (const std::string& name : names) {
      if (LooksPinned(name)) {
        pinned = name;
        break;
      }
    }
    if (pinned.empty() && !names[0].ends_with("-latest")) pinned = names[0];
    if (pinned.empty()) continue;
    for (const std::string& name : names) {
      if (!name.empty() && name != pinned && !LooksPinned(name)) aliases.emplace(name, pinned);
    }
  }
}

// OpenAI's convention: an undated id ("gpt-4o") points to a dated snapshot
// ("gpt-4o-2024-08-06") listed beside it; the newest is the best guess.
// Namespaced ids ("openai/gpt-4o") are a router's names, and the router
// picks the snapshot, so they are left alone.
void AliasesFromDatedIds(const std::set<std::string>& ids,
                         std::map<std::string, std::string>& aliases) {
  static const std::regex kDated("(.+)-\\d{4}-\\d{2}-\\d{2}");
  std::map<std::string, std::string> newest;
  for (const std::string& id : ids) {  // ascending, so later dates overwrite
    std::smatch m;
    if (id.find('/') != std::string::npos || !std::regex_match(id, m, kDated)) continue;
    if (ids.contains(m[1].str())) newest[m[1].str()] = id;
  }
  for (auto& [alias, pinned] : newest) aliases.emplace(alias, pinned);
}

}  // namespace

std::optional<ModelList> ParseModelList(const ProviderInfo& provider,
                                        const HttpResponse& response) {
  if (response.status < 200 || response.status >= 300) return std::nullopt;
  const Json& probe = Member(provider.spec, "list_probe");
  if (!probe.is_object()) return std::nullopt;
  const Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  const Json& items = Member(body, StringMember(probe, "items"));
  if (!items.is_array()) return std::nullopt;

  ModelList list;
  std::string id_field = StringMember(probe, "id_field");
  std::string prefix = StringMember(probe, "id_prefix");
  for (const Json& item : items) {
    std::string id = StringMember(item, id_field);
    if (!prefix.empty() && id.starts_with(prefix)) id.erase(0, prefix.size());
    if (!id.empty()) list.ids.insert(id);
  }

  // Most authoritative first; emplace never overwrites: the list's own
  // alias fields, then the documented table, then the naming convention.
  const Json& aliases = Member(provider.spec, "aliases");
  std::string source = StringMember(aliases, "source");
  if (source == "list_field") AliasesFromCards(items, StringMember(aliases, "field"), list.aliases);
  const Json& known = Member(aliases, "known");
  if (known.is_object()) {
    for (const auto& [alias, pinned] : known.items()) {
      // The table speaks for the provider; this list speaks for this key,
      // so only pinned ids the key can see are taken from the table.
      if (pinned.is_string() && list.ids.contains(pinned.get<std::string>())) {
        list.aliases.emplace(alias, pinned.get<std::string>());
      }
    }
  }
  if (source == "none") AliasesFromDatedIds(list.ids, list.aliases);
  return list;
}

std::optional<std::string> KnownAlias(const ProviderInfo& provider, std::string_view model) {
  const Json& known = Member(Member(provider.spec, "aliases"), "known");
  const Json& pinned = Member(known, std::string(model));
  if (!pinned.is_string()) return std::nullopt;
  return pinned.get<std::string>();
}

}  // namespace keywarden
