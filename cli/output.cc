#include "output.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>

#include "keywarden/clock.h"
#include "reply.h"

namespace keywarden::cli {
namespace {

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

// A version state, coloured by what it means for the tools using it.
std::string StateText(const std::string& state, bool colour) {
  if (state.starts_with("verified")) return Paint(state, Colour::kGreen, colour);
  if (state == "failing") return Paint(state, Colour::kRed, colour);
  if (state == "pending") return Paint(state, Colour::kYellow, colour);
  if (state == "failed" || state == "revoked") return Paint(state, Colour::kRed, colour);
  return state;
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
std::string SlotState(const SlotObject& s) {
  if (!s.state) return "none";
  if (s.usable) {
    if (*s.state == VersionState::kPending) return "verified; new key pending";
    if (*s.state == VersionState::kFailed) return "verified; new key failed";
    return "verified";
  }
  if (*s.state == VersionState::kVerified) return "failing";
  return std::string(VersionStateName(*s.state));
}

}  // namespace

bool ColourOn(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && no_colour[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

std::string Paint(std::string_view text, Colour colour, bool on) {
  if (!on) return std::string(text);
  std::string_view code = "1";
  switch (colour) {
    case Colour::kRed:
      code = "31";
      break;
    case Colour::kGreen:
      code = "32";
      break;
    case Colour::kYellow:
      code = "33";
      break;
    case Colour::kBold:
      break;
  }
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

size_t OutputWidth() {
  if (::isatty(STDOUT_FILENO) != 1) return 0;
  if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    std::string_view text(columns);
    size_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size() && n > 0) return n;
  }
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033') {  // ESC [ parameters, then a final byte in @..~
      if (i + 1 < text.size() && text[i + 1] == '[') {
        i += 2;
        while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      }
      continue;
    }
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string Ellipsize(std::string_view text, size_t width) {
  if (width == 0 || DisplayWidth(text) <= width) return std::string(text);
  // Keep width - 1 code points, then "…". Text cut here holds no colour.
  size_t kept = 0, end = 0;
  while (end < text.size() && kept < width - 1) {
    ++end;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    ++kept;
  }
  return std::string(text.substr(0, end)) + "\u2026";
}

void PrintError(std::string_view message, std::string_view hint) {
  std::cerr << "keywarden: " << Paint("error:", Colour::kRed, ColourOn(STDERR_FILENO)) << " "
            << message << "\n";
  if (!hint.empty()) PrintHint(hint);
}

void PrintWarning(std::string_view message) {
  std::cerr << "keywarden: " << Paint("warning:", Colour::kYellow, ColourOn(STDERR_FILENO)) << " "
            << message << "\n";
}

void PrintHint(std::string_view hint) {
  std::cerr << "keywarden: " << Paint("hint:", Colour::kBold, ColourOn(STDERR_FILENO)) << " "
            << hint << "\n";
}

void PrintWarnings(const std::vector<Diagnosis>& warnings) {
  for (const Diagnosis& w : warnings) PrintWarning(w.message);
}

bool WriteStdout(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void PrintJson(const Json& value) {
  std::cout << value.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows, size_t width) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  // What the last column may take: the line's width less the columns
  // before it and their gaps, never under 8.
  constexpr size_t kMinLast = 8;
  size_t last = 0;
  if (width > 0 && !widths.empty()) {
    size_t before = 0;
    for (size_t i = 0; i + 1 < widths.size(); ++i) before += widths[i] + 2;
    last = width > before + kMinLast ? width - before : kMinLast;
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i + 1 < row.size()) {
        line.append(row[i]);
        line.append(widths[i] - DisplayWidth(row[i]) + 2, ' ');
      } else {
        line.append(i + 1 == widths.size() ? Ellipsize(row[i], last) : row[i]);
      }
    }
    out.append(line).push_back('\n');
  }
  return out;
}

namespace {

std::string JoinList(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

std::string NumberOr(const std::optional<int>& value, std::string_view none = "-") {
  return value ? std::to_string(*value) : std::string(none);
}

std::string TimeOr(const std::optional<int64_t>& t, std::string_view none = "-") {
  return t ? FormatTime(*t) : std::string(none);
}

}  // namespace

void PrintSlotTable(const std::vector<SlotObject>& slots) {
  // An admin's list may hold other users' slots, even of the same ref:
  // then an OWNER column tells them apart (and gives the uid for --owner).
  const uint32_t me = ::getuid();
  const bool others = std::any_of(slots.begin(), slots.end(),
                                  [me](const SlotObject& s) { return s.owner_uid != me; });
  const bool colour = ColourOn(STDOUT_FILENO);
  std::vector<std::vector<std::string>> rows = {
      {"REF", "PROVIDER", "ENDPOINT", "STATE", "USABLE", "CURRENT", "MODELS"}};
  if (others) rows[0].insert(rows[0].begin() + 1, "OWNER");
  for (const SlotObject& s : slots) {
    rows.push_back(
        {s.ref, s.provider, s.endpoint, StateText(SlotState(s), colour),
         Paint(s.usable ? "yes" : "no", s.usable ? Colour::kGreen : Colour::kRed, colour),
         NumberOr(s.current_version), JoinList(s.models, ",")});
    if (others) rows.back().insert(rows.back().begin() + 1, std::to_string(s.owner_uid));
  }
  if (rows.size() == 1) {
    std::cerr << "no slots; add one with `keywarden add ENV/NAME --provider P --models M`\n";
    return;
  }
  std::cout << FormatTable(rows, OutputWidth());
}

void PrintSlotDetail(const SlotObject& s) {
  std::vector<std::vector<std::string>> head = {
      {"slot", s.ref},
      {"provider", s.provider + " (endpoint " + s.endpoint + ")"},
      {"models", JoinList(s.models, ", ")},
      {"state", StateText(SlotState(s), ColourOn(STDOUT_FILENO))},
      {"usable", s.usable ? "yes (get, export and exec serve the current version)" : "no"},
      {"current", NumberOr(s.current_version)},
      {"pending", NumberOr(s.pending_version)},
      {"rotation due", TimeOr(s.rotation_due_at)},
  };
  std::cout << FormatTable(head, OutputWidth());
  for (const VersionObject& v : s.versions) PrintVersionDetail(v);
}

void PrintVersionDetail(const VersionObject& v) {
  std::cout << "\nversion " << v.version << ": " << VersionStateName(v.state) << "  "
            << v.fingerprint << "  created " << FormatTime(v.created_at);
  if (v.verified_at) std::cout << "  verified " << FormatTime(*v.verified_at);
  if (v.next_check_at) std::cout << "  next check " << FormatTime(*v.next_check_at);
  std::cout << "\n";
  PrintChecks(v.checks, v.diagnoses);
}

void PrintChecks(const std::vector<Check>& checks, const std::vector<Diagnosis>& diagnoses) {
  if (!checks.empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"  MODEL", "OUTCOME", "HTTP", "DETAIL", "CHECKED"}};
    for (const Check& c : checks) {
      rows.push_back({"  " + (c.model.empty() ? "(auth)" : c.model),
                      std::string(OutcomeName(c.outcome)), std::to_string(c.http_status), c.detail,
                      FormatTime(c.checked_at)});
    }
    std::cout << FormatTable(rows, OutputWidth());
  }
  for (const Diagnosis& d : diagnoses) {
    std::cout << Ellipsize("  ! " + d.code + ": " + d.message, OutputWidth()) << "\n";
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
  std::cout << FormatTable(rows, OutputWidth());
}

void PrintStatus(const Json& st) {
  std::vector<std::vector<std::string>> rows = {
      {"daemon", "keywardend " + Text(Member(st, "version")) + " (pid " + Text(Member(st, "pid")) +
                     ", " + Text(Member(st, "mode")) + " mode)"},
      {"state", Member(st, "sealed") == true ? "sealed" : "unsealed"},
      {"database", Text(Member(st, "db")) + DatabaseSize(st)},
      {"config", Text(Member(st, "config_file"), "(not reported)")},
      {"socket", Text(Member(st, "socket"))},
      {"slots", Text(Member(st, "slots"), "?")},
  };
  const Json& reserve = Member(st, "reserve");
  if (reserve.is_object()) rows.insert(rows.begin() + 3, {"space reserve", ReserveText(reserve)});
  if (Member(st, "gateway_url").is_string())
    rows.push_back({"gateway", Text(Member(st, "gateway_url"))});
  const Json& states = Member(st, "versions_by_state");
  if (states.is_object()) {
    std::string text;
    for (const auto& [state, count] : states.items()) {
      if (!text.empty()) text.append(", ");
      text.append(state + " " + count.dump());
    }
    rows.push_back({"versions", text.empty() ? "none" : text});
  }
  if (Member(st, "copies").is_number()) {
    std::string text = Member(st, "copies").dump() + " recorded";
    if (Member(st, "copies_stale").is_number_integer() && Member(st, "copies_stale") != 0) {
      text += ", " + Member(st, "copies_stale").dump() + " stale";
    }
    if (Member(st, "copies_revoked").is_number_integer() && Member(st, "copies_revoked") != 0) {
      text += ", " + Member(st, "copies_revoked").dump() + " revoked";
    }
    if (Member(st, "copies_stale") != 0 || Member(st, "copies_revoked") != 0) {
      text += " (`keywarden copies` reads the files; `keywarden sync` rewrites stale ones)";
    }
    rows.push_back({"copies", text});
  }
  rows.push_back({"next check", Text(Member(st, "next_check_at"), "none scheduled")});
  rows.push_back({"next scheduled item", Text(Member(st, "next_scheduled_at"), "none")});
  std::cout << FormatTable(rows, OutputWidth());
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
  std::cout << FormatTable(rows, OutputWidth());
}

}  // namespace keywarden::cli
