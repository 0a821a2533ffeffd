#include "output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "reply.h"

namespace keywarden::cli {
namespace {

std::string Join(const Json& list, std::string_view separator = ",") {
  std::string out;
  if (!list.is_array()) return out;
  for (const Json& item : list) {
    if (!out.empty()) out.append(separator);
    out.append(Text(item));
  }
  return out;
}

std::string Mib(const Json& bytes) {
  if (!bytes.is_number()) return "?";
  return fmt::format("{:.1f} MiB", bytes.get<double>() / 1048576.0);
}

// " (3.2 MiB: file 3.0 MiB, log 0.2 MiB; 1.5 GiB free)", or "" when status
// gives no sizes (another user's view in system mode).
std::string DatabaseSize(const Json& st) {
  if (!Member(st, "db_bytes").is_number()) return "";
  std::string text = " (" + Mib(Member(st, "db_bytes")) + ": file " +
                     Mib(Member(st, "db_file_bytes")) + ", log " + Mib(Member(st, "db_wal_bytes"));
  if (Member(st, "disk_free_bytes").is_number()) {
    text += "; " + Mib(Member(st, "disk_free_bytes")) + " free on its disk";
  }
  return text + ")";
}

std::string ReserveText(const Json& reserve) {
  const std::string state = Text(Member(reserve, "state"));
  std::string text =
      state + ", " + Mib(Member(reserve, "bytes")) + " in " + Text(Member(reserve, "file"));
  if (state == "used") {
    text += "; released at " + Text(Member(reserve, "used_at")) +
            " for a revoke or rm on a full disk, made again when space allows";
  }
  if (Member(reserve, "detail").is_string()) text += "; " + Text(Member(reserve, "detail"));
  return text;
}

// One word (and a note) for a slot, in the vocabulary of docs/providers.md,
// never a contradictory pair: a usable slot serves a verified current
// version, so it reads "verified" whatever its newest version is doing;
// "failing" is a current version that verified once and now fails its
// checks (not served); otherwise the newest version's state.
std::string SlotState(const Json& s) {
  const std::string newest = Text(Member(s, "state"), "none");
  if (Member(s, "usable") == true) {
    if (newest == "pending") return "verified; new key pending";
    if (newest == "failed") return "verified; new key failed";
    return "verified";
  }
  if (newest == "verified") return "failing";
  return newest;
}

}  // namespace

void PrintError(std::string_view message, std::string_view hint) {
  std::cerr << "keywarden: error: " << message << "\n";
  if (!hint.empty()) PrintHint(hint);
}

void PrintWarning(std::string_view message) {
  std::cerr << "keywarden: warning: " << message << "\n";
}

void PrintHint(std::string_view hint) { std::cerr << "keywarden: hint: " << hint << "\n"; }

void PrintWarnings(const std::vector<Diagnosis>& warnings) {
  for (const Diagnosis& w : warnings) PrintWarning(w.message);
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
    return !Member(s, "owner_uid").is_null() && Member(s, "owner_uid") != me;
  });
  std::vector<std::vector<std::string>> rows = {
      {"REF", "PROVIDER", "ENDPOINT", "STATE", "USABLE", "CURRENT", "MODELS"}};
  if (others) rows[0].insert(rows[0].begin() + 1, "OWNER");
  for (const Json& s : slots) {
    rows.push_back({Text(Member(s, "ref")), Text(Member(s, "provider")),
                    Text(Member(s, "endpoint")), SlotState(s),
                    Member(s, "usable") == true ? "yes" : "no", Text(Member(s, "current_version")),
                    Join(Member(s, "models"))});
    if (others) rows.back().insert(rows.back().begin() + 1, Text(Member(s, "owner_uid")));
  }
  if (rows.size() == 1) {
    std::cerr << "no slots; add one with `keywarden add ENV/NAME --provider P --models M`\n";
    return;
  }
  std::cout << FormatTable(rows);
}

void PrintSlotDetail(const Json& s) {
  std::vector<std::vector<std::string>> head = {
      {"slot", Text(Member(s, "ref"))},
      {"provider", Text(Member(s, "provider")) + " (endpoint " + Text(Member(s, "endpoint")) + ")"},
      {"models", Join(Member(s, "models"), ", ")},
      {"state", SlotState(s)},
      {"usable",
       Member(s, "usable") == true ? "yes (get, export and exec serve the current version)" : "no"},
      {"current", Text(Member(s, "current_version"))},
      {"pending", Text(Member(s, "pending_version"))},
      {"rotation due", Text(Member(s, "rotation_due_at"))},
  };
  std::cout << FormatTable(head);
  for (const Json& v : Member(s, "versions")) PrintVersionDetail(v);
}

void PrintVersionDetail(const Json& v) {
  std::cout << "\nversion " << Text(Member(v, "version")) << ": " << Text(Member(v, "state"))
            << "  " << Text(Member(v, "fingerprint")) << "  created "
            << Text(Member(v, "created_at"));
  if (!Member(v, "verified_at").is_null())
    std::cout << "  verified " << Text(Member(v, "verified_at"));
  if (!Member(v, "next_check_at").is_null())
    std::cout << "  next check " << Text(Member(v, "next_check_at"));
  std::cout << "\n";
  const Json& checks = Member(v, "checks");
  if (checks.is_array() && !checks.empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"  MODEL", "OUTCOME", "HTTP", "DETAIL", "CHECKED"}};
    for (const Json& c : checks) {
      std::string model = Text(Member(c, "model"), "");
      rows.push_back({"  " + (model.empty() ? "(auth)" : model), Text(Member(c, "outcome")),
                      Text(Member(c, "http_status")), Text(Member(c, "detail"), ""),
                      Text(Member(c, "checked_at"))});
    }
    std::cout << FormatTable(rows);
  }
  for (const Json& d : Member(v, "diagnoses")) {
    std::cout << "  ! " << Text(Member(d, "code")) << ": " << Text(Member(d, "message"), "")
              << "\n";
  }
}

void PrintEvents(const Json& events) {
  std::vector<std::vector<std::string>> rows = {
      {"TIME", "UID", "ACTION", "REF", "VERSION", "FINGERPRINT", "DETAIL"}};
  for (const Json& e : events) {
    std::string at = Text(Member(e, "at"));
    std::string detail = Text(Member(e, "detail"), "");
    // A day's served secrets folded into one row (config events.aggregate_gets_after).
    if (Member(e, "aggregated") == true) {
      at = at.substr(0, at.find('T')) + " (day)";
      const std::string times = Text(Member(e, "count")) + " times that day";
      detail = detail.empty() ? times : times + "; " + detail;
    }
    rows.push_back({at, Text(Member(e, "uid")), Text(Member(e, "action")),
                    Text(Member(e, "ref"), ""), Text(Member(e, "version"), ""),
                    Text(Member(e, "fingerprint"), ""), detail});
  }
  std::cout << FormatTable(rows);
}

void PrintStatus(const Json& st) {
  std::vector<std::vector<std::string>> rows = {
      {"daemon", "keywardend " + Text(Member(st, "version")) + " (pid " + Text(Member(st, "pid")) +
                     ", " + Text(Member(st, "mode")) + " mode)"},
      {"state", Member(st, "sealed") == true ? "sealed" : "unsealed"},
      {"database", Text(Member(st, "db")) + DatabaseSize(st)},
      {"socket", Text(Member(st, "socket"))},
      {"slots", Text(Member(st, "slots"), "?")},
  };
  const Json& reserve = Member(st, "reserve");
  if (reserve.is_object()) rows.insert(rows.begin() + 3, {"space reserve", ReserveText(reserve)});
  const Json& states = Member(st, "versions_by_state");
  if (states.is_object()) {
    std::string text;
    for (const auto& [state, count] : states.items()) {
      if (!text.empty()) text.append(", ");
      text.append(state + " " + count.dump());
    }
    rows.push_back({"versions", text.empty() ? "none" : text});
  }
  rows.push_back({"next check", Text(Member(st, "next_check_at"), "none scheduled")});
  rows.push_back({"next scheduled item", Text(Member(st, "next_scheduled_at"), "none")});
  std::cout << FormatTable(rows);
}

void PrintProviders(const Json& providers) {
  std::vector<std::vector<std::string>> rows = {{"PROVIDER", "ENV VAR", "ENDPOINTS"}};
  for (const Json& p : providers) {
    std::string endpoints;
    for (const auto& [name, url] : Member(p, "endpoints").items()) {
      if (!endpoints.empty()) endpoints.append("  ");
      endpoints.append(name + "=" + Text(url));
    }
    if (Member(p, "custom_url") == true) endpoints = "(the slot names its URL with --endpoint)";
    rows.push_back({Text(Member(p, "id")), Text(Member(p, "env_var")), endpoints});
  }
  std::cout << FormatTable(rows);
}

}  // namespace keywarden::cli
