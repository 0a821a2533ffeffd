#include "output.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>


namespace keywarden::cli {
namespace {

std::string Text(const Json& value, std::string_view fallback = "-") {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return std::string(fallback);
  return value.dump();
}

std::string Join(const Json& list, std::string_view separator = ",") {
  std::string out;
  if (!list.is_array()) return out;
  for (const Json& item : list) {
    if (!out.empty()) out.append(separator);
    out.append(Text(item));
  }
  return out;
}

// Reads a member of a daemon reply without throwing on a missing key.
const Json& Get(const Json& object, std::string_view key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

}  // namespace

void PrintError(std::string_view message, std::string_view hint) {
  std::cerr << "keywarden: error: " << message << "\n";
  if (!hint.empty()) PrintHint(hint);
}

void PrintWarning(std::string_view message) { std::cerr << "keywarden: warning: " << message << "\n"; }

void PrintHint(std::string_view hint) { std::cerr << "keywarden: hint: " << hint << "\n"; }

void PrintWarnings(const Json& warnings) {
  if (!warnings.is_array()) return;
  for (const Json& w : warnings) PrintWarning(Text(Get(w, "message"), ""));
}

void PrintJson(const Json& value) {
  std::cout << value.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line.append(row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out.append(line).push_back('\n');
  }
  return out;
}

void PrintSlotTable(const Json& slots) {
  // An admin's list may hold other users' slots, even of the same ref:
  // then an OWNER column tells them apart (and gives the uid for --owner).
  const Json me = static_cast<uint32_t>(::getuid());
  const bool others = std::any_of(slots.begin(), slots.end(), [&](const Json& s) {
    return !Get(s, "owner_uid").is_null() && Get(s, "owner_uid") != me;
  });
  std::vector<std::vector<std::string>> rows = {
      {"REF", "PROVIDER", "ENDPOINT", "STATE", "USABLE", "CURRENT", "MODELS"}};
  if (others) rows[0].insert(rows[0].begin() + 1, "OWNER");
  for (const Json& s : slots) {
    rows.push_back({Text(Get(s, "ref")), Text(Get(s, "provider")), Text(Get(s, "endpoint")),
                    Text(Get(s, "state")), Get(s, "usable") == true ? "yes" : "no",
                    Text(Get(s, "current_version")), Join(Get(s, "models"))});
    if (others) rows.back().insert(rows.back().begin() + 1, Text(Get(s, "owner_uid")));
  }
  if (rows.size() == 1) {
    std::cerr << "no slots; add one with `keywarden add ENV/NAME --provider P --models M`\n";
    return;
  }
  std::cout << FormatTable(rows);
}

void PrintSlotDetail(const Json& s) {
  std::vector<std::vector<std::string>> head = {
      {"slot", Text(Get(s, "ref"))},
      {"provider", Text(Get(s, "provider")) + " (endpoint " + Text(Get(s, "endpoint")) + ")"},
      {"models", Join(Get(s, "models"), ", ")},
      {"state", Text(Get(s, "state")) + (Get(s, "usable") == true ? ", usable" : ", not usable")},
      {"current", Text(Get(s, "current_version"))},
      {"pending", Text(Get(s, "pending_version"))},
      {"rotation due", Text(Get(s, "rotation_due_at"))},
  };
  std::cout << FormatTable(head);
  for (const Json& v : Get(s, "versions")) PrintVersionDetail(v);
}

void PrintVersionDetail(const Json& v) {
  std::cout << "\nversion " << Text(Get(v, "version")) << ": " << Text(Get(v, "state")) << "  "
            << Text(Get(v, "fingerprint")) << "  created " << Text(Get(v, "created_at"));
  if (!Get(v, "verified_at").is_null()) std::cout << "  verified " << Text(Get(v, "verified_at"));
  if (!Get(v, "next_check_at").is_null()) std::cout << "  next check " << Text(Get(v, "next_check_at"));
  std::cout << "\n";
  const Json& checks = Get(v, "checks");
  if (checks.is_array() && !checks.empty()) {
    std::vector<std::vector<std::string>> rows = {{"  MODEL", "OUTCOME", "HTTP", "DETAIL", "CHECKED"}};
    for (const Json& c : checks) {
      std::string model = Text(Get(c, "model"), "");
      rows.push_back({"  " + (model.empty() ? "(auth)" : model), Text(Get(c, "outcome")),
                      Text(Get(c, "http_status")), Text(Get(c, "detail"), ""),
                      Text(Get(c, "checked_at"))});
    }
    std::cout << FormatTable(rows);
  }
  for (const Json& d : Get(v, "diagnoses")) {
    std::cout << "  ! " << Text(Get(d, "code")) << ": " << Text(Get(d, "message"), "") << "\n";
  }
}

void PrintEvents(const Json& events) {
  std::vector<std::vector<std::string>> rows = {{"TIME", "UID", "ACTION", "REF", "VERSION", "FINGERPRINT", "DETAIL"}};
  for (const Json& e : events) {
    rows.push_back({Text(Get(e, "at")), Text(Get(e, "uid")), Text(Get(e, "action")),
                    Text(Get(e, "ref"), ""), Text(Get(e, "version"), ""),
                    Text(Get(e, "fingerprint"), ""), Text(Get(e, "detail"), "")});
  }
  std::cout << FormatTable(rows);
}

void PrintStatus(const Json& st) {
  std::vector<std::vector<std::string>> rows = {
      {"daemon", "keywardend " + Text(Get(st, "version")) + " (pid " + Text(Get(st, "pid")) + ", " +
                     Text(Get(st, "mode")) + " mode)"},
      {"state", Get(st, "sealed") == true ? "sealed" : "unsealed"},
      {"database", Text(Get(st, "db"))},
      {"socket", Text(Get(st, "socket"))},
      {"slots", Text(Get(st, "slots"), "?")},
  };
  const Json& states = Get(st, "versions_by_state");
  if (states.is_object()) {
    std::string text;
    for (const auto& [state, count] : states.items()) {
      if (!text.empty()) text.append(", ");
      text.append(state + " " + count.dump());
    }
    rows.push_back({"versions", text.empty() ? "none" : text});
  }
  rows.push_back({"next check", Text(Get(st, "next_check_at"), "none scheduled")});
  rows.push_back({"next scheduled item", Text(Get(st, "next_scheduled_at"), "none")});
  std::cout << FormatTable(rows);
}

void PrintProviders(const Json& providers) {
  std::vector<std::vector<std::string>> rows = {{"PROVIDER", "ENV VAR", "ENDPOINTS"}};
  for (const Json& p : providers) {
    std::string endpoints;
    for (const auto& [name, url] : Get(p, "endpoints").items()) {
      if (!endpoints.empty()) endpoints.append("  ");
      endpoints.append(name + "=" + Text(url));
    }
    if (Get(p, "custom_url") == true) endpoints = "(the slot names its URL with --endpoint)";
    rows.push_back({Text(Get(p, "id")), Text(Get(p, "env_var")), endpoints});
  }
  std::cout << FormatTable(rows);
}

}  // namespace keywarden::cli
