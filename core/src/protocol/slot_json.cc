#include "keywarden/slot_json.h"

#include <charconv>
#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>

#include "keywarden/clock.h"
#include "keywarden/slot_object.h"

namespace keywarden {
namespace {

// The shapes are written as text, not built as Json values: a list of
// 100,000 slots is a large JSON text, and a Json tree of it costs many times
// that in memory and most of the time (docs/benchmarks.md). The text is what Json::dump gives
// (compact, keys in sorted order, UTF-8 kept, invalid UTF-8 replaced), so
// a slot reads the same whichever path produced it (SlotToJson builds it
// from a SlotObject; tests/unit/protocol_test.cc compares the two).
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  // Opens `{` or continues after a member; keys must come in sorted order.
  // Each piece of a member goes out in one append where it fits a small
  // buffer: four appends a key were a tenth of listing 100,000 slots.
  Writer& Key(std::string_view key) {
    char b[kSmall];
    if (key.size() + 4 > sizeof(b)) {
      out_.push_back(first_ ? '{' : ',');
      out_.push_back('"');
      out_.append(key);
      out_.append("\":");
    } else {
      b[0] = first_ ? '{' : ',';
      b[1] = '"';
      key.copy(b + 2, key.size());
      b[key.size() + 2] = '"';
      b[key.size() + 3] = ':';
      out_.append(b, key.size() + 4);
    }
    first_ = false;
    return *this;
  }
  void End() { out_.append(first_ ? "{}" : "}"); }

  void String(std::string_view s) {
    // Printable ASCII without quote or backslash is copied as is; anything
    // else goes through Json::dump for its escapes and replacements.
    if (!Plain(s)) {
      out_.append(Json(s).dump(-1, ' ', false, Json::error_handler_t::replace));
      return;
    }
    Quoted({s});
  }
  // The string "<a>/<b>" (a slot's ref) without building it first.
  void String(std::string_view a, char separator, std::string_view b) {
    if (!Plain(a) || !Plain(b)) return String(std::string(a) + separator + std::string(b));
    Quoted({a, std::string_view(&separator, 1), b});
  }
  void Int(int64_t value) {
    char buffer[24];
    auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
    out_.append(buffer, end);
  }
  void Bool(bool value) { out_.append(value ? "true" : "false"); }
  void Null() { out_.append("null"); }
  // FormatTime's "2026-11-21T10:00:00Z", without strftime.
  void Time(int64_t unix_seconds) {
    using namespace std::chrono;
    const sys_seconds t{seconds(unix_seconds)};
    const sys_days day = floor<days>(t);
    const year_month_day ymd(day);
    const hh_mm_ss<seconds> hms(t - day);
    const int y = static_cast<int>(ymd.year());
    if (y < 0 || y > 9999) return String(FormatTime(unix_seconds));
    char b[23] = "\"0000-00-00T00:00:00Z\"";
    auto two = [&b](int at, unsigned v) {
      b[at] = static_cast<char>('0' + v / 10);
      b[at + 1] = static_cast<char>('0' + v % 10);
    };
    two(1, static_cast<unsigned>(y / 100));
    two(3, static_cast<unsigned>(y % 100));
    two(6, static_cast<unsigned>(ymd.month()));
    two(9, static_cast<unsigned>(ymd.day()));
    two(12, static_cast<unsigned>(hms.hours().count()));
    two(15, static_cast<unsigned>(hms.minutes().count()));
    two(18, static_cast<unsigned>(hms.seconds().count()));
    out_.append(b, 22);
  }
  void OptionalTime(const std::optional<int64_t>& t) { t ? Time(*t) : Null(); }
  void OptionalInt(const std::optional<int>& v) { v ? Int(*v) : Null(); }
  std::string& out() { return out_; }

 private:
  static constexpr size_t kSmall = 128;

  static bool Plain(std::string_view s) {
    for (char c : s) {
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
    }
    return true;
  }
  // `"` parts `"`, of plain text.
  void Quoted(std::initializer_list<std::string_view> parts) {
    size_t size = 2;
    for (std::string_view part : parts) size += part.size();
    if (size > kSmall) {
      out_.push_back('"');
      for (std::string_view part : parts) out_.append(part);
      out_.push_back('"');
      return;
    }
    char b[kSmall];
    size_t at = 0;
    b[at++] = '"';
    for (std::string_view part : parts) at += part.copy(b + at, part.size());
    b[at++] = '"';
    out_.append(b, at);
  }

  std::string& out_;
  bool first_ = true;
};

void AppendDiagnoses(std::string& out, const std::vector<Diagnosis>& diagnoses) {
  out.push_back('[');
  for (size_t i = 0; i < diagnoses.size(); ++i) {
    if (i > 0) out.push_back(',');
    Writer w(out);
    w.Key("code").String(diagnoses[i].code);
    w.Key("message").String(diagnoses[i].message);
    w.End();
  }
  out.push_back(']');
}

void AppendChecks(std::string& out, const std::vector<Check>& checks) {
  out.push_back('[');
  for (size_t i = 0; i < checks.size(); ++i) {
    if (i > 0) out.push_back(',');
    const Check& c = checks[i];
    Writer w(out);
    w.Key("checked_at").Time(c.checked_at);
    w.Key("detail").String(c.detail);
    w.Key("http_status").Int(c.http_status);
    w.Key("model").String(c.model);
    w.Key("outcome").String(OutcomeName(c.outcome));
    w.End();
  }
  out.push_back(']');
}

void AppendVersion(std::string& out, const Version& v) {
  Writer w(out);
  w.Key("billed_probes").Int(v.billed_probes);
  w.Key("checks");
  AppendChecks(out, v.checks);
  w.Key("created_at").Time(v.created_at);
  w.Key("diagnoses");
  AppendDiagnoses(out, v.diagnoses);
  w.Key("fingerprint").String(v.mask);
  w.Key("next_check_at").OptionalTime(v.next_check_at);
  w.Key("state").String(VersionStateName(v.state));
  w.Key("verified_at").OptionalTime(v.verified_at);
  w.Key("version").Int(v.number);
  w.End();
}

Json Parse(const std::string& text) { return Json::parse(text); }

}  // namespace

Json DiagnosesJson(const std::vector<Diagnosis>& diagnoses) {
  std::string text;
  AppendDiagnoses(text, diagnoses);
  return Parse(text);
}

Json ChecksJson(const std::vector<Check>& checks) {
  std::string text;
  AppendChecks(text, checks);
  return Parse(text);
}

std::optional<int64_t> RotationDueAt(const Slot& slot) {
  if (!slot.current_version) return std::nullopt;
  const Version* current = slot.FindVersion(*slot.current_version);
  if (!current) return std::nullopt;
  return current->verified_at.value_or(current->created_at) + slot.policy.rotate_every;
}

namespace {

void AppendModels(Writer& w, std::string& out, const std::vector<std::string>& models) {
  w.Key("models");
  out.push_back('[');
  for (size_t i = 0; i < models.size(); ++i) {
    if (i > 0) out.push_back(',');
    w.String(models[i]);
  }
  out.push_back(']');
}

void AppendState(Writer& w, const Version* newest) {
  w.Key("state");
  newest ? w.String(VersionStateName(newest->state)) : w.Null();
}

}  // namespace

void AppendSlotSummaryJson(std::string& out, const Slot& slot) {
  Writer w(out);
  w.Key("current_version").OptionalInt(slot.current_version);
  w.Key("endpoint").String(slot.endpoint);
  AppendModels(w, out, slot.models);
  w.Key("owner_uid").Int(slot.owner_uid);
  w.Key("provider").String(slot.provider);
  w.Key("ref").String(slot.ref.env, '/', slot.ref.name);
  AppendState(w, slot.Newest());
  w.Key("usable").Bool(slot.Usable());
  w.End();
}

void AppendSlotJson(std::string& out, const Slot& slot, int64_t now) {
  const Version* newest = slot.Newest();
  const std::optional<int64_t> due = RotationDueAt(slot);
  Writer w(out);
  w.Key("created_at").Time(slot.created_at);
  w.Key("current_version").OptionalInt(slot.current_version);
  w.Key("diagnoses");
  static const std::vector<Diagnosis> kNone;
  AppendDiagnoses(out, newest ? newest->diagnoses : kNone);
  w.Key("endpoint").String(slot.endpoint);
  w.Key("env").String(slot.ref.env);
  AppendModels(w, out, slot.models);
  w.Key("name").String(slot.ref.name);
  w.Key("owner_uid").Int(slot.owner_uid);
  w.Key("pending_version").OptionalInt(slot.pending_version);
  w.Key("probe").String(slot.probe);
  w.Key("provider").String(slot.provider);
  w.Key("ref").String(slot.ref.env, '/', slot.ref.name);
  w.Key("reminder_due").Bool(due.has_value() && now >= *due - slot.policy.remind_before);
  {
    w.Key("rotation");
    Writer rotation(out);
    rotation.Key("grace").Int(slot.policy.grace);
    rotation.Key("remind_before").Int(slot.policy.remind_before);
    rotation.Key("rotate_every").Int(slot.policy.rotate_every);
    rotation.End();
  }
  w.Key("rotation_due_at").OptionalTime(due);
  AppendState(w, newest);
  w.Key("usable").Bool(slot.Usable());
  w.Key("versions");
  out.push_back('[');
  for (size_t i = 0; i < slot.versions.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendVersion(out, slot.versions[i]);
  }
  out.push_back(']');
  w.End();
}

Json SlotToJson(const Slot& slot, int64_t now) { return Encode(SlotObjectOf(slot, now)); }

Json EventToJson(const Event& e) {
  return {{"id", e.id},
          {"at", FormatTime(e.at)},
          {"uid", e.uid},
          {"owner_uid", e.owner_uid ? Json(*e.owner_uid) : Json(nullptr)},
          {"action", e.action},
          {"ref", e.ref},
          {"version", e.version ? Json(*e.version) : Json(nullptr)},
          {"fingerprint", e.fingerprint},
          {"detail", e.detail},
          {"count", e.count.value_or(1)},
          {"aggregated", e.count.has_value()}};
}

}  // namespace keywarden
