#include "validation/probe_detail.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <regex>
#include <vector>

#include "validation/probe_json.h"

namespace keywarden::probe_detail {
namespace {

using probe_json::Json;
using probe_json::Member;
using probe_json::StringMember;

// Only this much of a message is scrubbed and kept; scrubbing before the
// final cut means a key straddling the cut is still caught whole.
constexpr size_t kScanLimit = 2000;

// The first google.rpc detail of `type` in a Google error ({"error":
// {"details":[{"@type":"type.googleapis.com/google.rpc.<type>",…}]}}).
const Json& GoogleDetail(const Json& error, std::string_view type) {
  const Json& details = Member(error, "details");
  if (details.is_array()) {
    for (const Json& d : details) {
      if (StringMember(d, "@type").ends_with("google.rpc." + std::string(type))) return d;
    }
  }
  return probe_json::Null();
}

// Gemini's ErrorInfo reason (API_KEY_INVALID, SERVICE_DISABLED), else its
// status (PERMISSION_DENIED): the part of the answer that says why.
std::string GoogleLabel(const Json& error) {
  std::string reason = StringMember(GoogleDetail(error, "ErrorInfo"), "reason");
  return reason.empty() ? StringMember(error, "status") : reason;
}

// Gemini's QuotaFailure, which the message states only after a paragraph of
// boilerplate: "GenerateRequestsPerDayPerProjectPerModel-FreeTier limit: 0,
// model: gemini-2.5-pro" (per day or per minute; limit 0 means no access).
std::string GoogleQuota(const Json& error) {
  const Json& violations = Member(GoogleDetail(error, "QuotaFailure"), "violations");
  if (!violations.is_array() || violations.empty()) return "";
  const Json& v = violations.front();
  std::string out = StringMember(v, "quotaId");
  if (std::string limit = StringMember(v, "quotaValue"); !limit.empty()) out += " limit: " + limit;
  std::string model = StringMember(Member(v, "quotaDimensions"), "model");
  if (!model.empty()) out += ", model: " + model;
  return out;
}

// FastAPI validation errors (Mistral's 422): "body.store: Extra inputs are not permitted; …".
std::string ValidationErrors(const Json& list) {
  std::string out;
  for (const Json& item : list) {
    std::string loc;
    if (auto it = item.find("loc"); item.is_object() && it != item.end() && it->is_array()) {
      for (const Json& part : *it) {
        if (!loc.empty()) loc += '.';
        loc += part.is_string() ? part.get<std::string>() : part.dump();
      }
    }
    std::string msg = StringMember(item, "msg");
    if (msg.empty() && loc.empty()) continue;
    if (!out.empty()) out += "; ";
    out += loc.empty() ? msg : loc + ": " + msg;
  }
  return out;
}

std::string RawMessage(const Json& body, std::string_view raw) {
  if (body.is_object()) {
    auto error = body.find("error");
    if (error != body.end() && error->is_object()) {
      std::string message = StringMember(*error, "message");
      std::string label = GoogleLabel(*error);
      if (std::string quota = GoogleQuota(*error); !quota.empty()) {
        message = quota + "; " + message;
      }
      if (!label.empty() && !message.empty()) return label + ": " + message;
      if (!message.empty()) return message;
    }
    if (error != body.end() && error->is_string()) return error->get<std::string>();
    if (std::string message = StringMember(body, "message"); !message.empty()) return message;
    auto detail = body.find("detail");
    if (detail != body.end() && detail->is_string()) return detail->get<std::string>();
    if (detail != body.end() && detail->is_array()) return ValidationErrors(*detail);
    return "";
  }
  if (!body.is_discarded()) return body.is_string() ? body.get<std::string>() : "";
  // Not JSON: an HTML error page (Cloudflare) says it in its title.
  if (auto open = raw.find("<title>"); open != std::string_view::npos) {
    auto close = raw.find("</title>", open);
    if (close != std::string_view::npos) return std::string(raw.substr(open + 7, close - open - 7));
  }
  if (!raw.empty() && raw.front() == '<') return "";
  return std::string(raw.substr(0, raw.find('\n')));
}

std::string Normalize(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kScanLimit)) {
    bool space = static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// A key pattern ("^…$") made to find that key inside text.
std::optional<std::regex> EchoPattern(std::string pattern) {
  if (pattern.starts_with('^')) pattern.erase(0, 1);
  if (pattern.ends_with('$')) pattern.pop_back();
  if (pattern.empty()) return std::nullopt;
  try {
    return std::regex("(^|[^A-Za-z0-9_-])(?:" + pattern + ")(?![A-Za-z0-9_-])");
  } catch (const std::regex_error&) {
    return std::nullopt;
  }
}

// Every built-in provider's pattern, compiled once: a key pasted for the
// wrong provider is echoed by the provider it was sent to.
const std::map<std::string, std::regex>& BuiltinEchoPatterns() {
  static const std::map<std::string, std::regex> patterns = [] {
    std::map<std::string, std::regex> out;
    for (const ProviderInfo& p : Catalogue::Builtin().All()) {
      if (auto re = EchoPattern(p.key_pattern)) out.emplace(p.key_pattern, std::move(*re));
    }
    return out;
  }();
  return patterns;
}

std::string Scrub(std::string text, const ProviderInfo& provider) {
  const auto& builtin = BuiltinEchoPatterns();
  for (const auto& [pattern, re] : builtin) text = std::regex_replace(text, re, "$1[redacted]");
  if (!builtin.contains(provider.key_pattern)) {
    if (auto own = EchoPattern(provider.key_pattern)) {
      text = std::regex_replace(text, *own, "$1[redacted]");
    }
  }
  return text;
}

std::string Truncate(std::string text, size_t max) {
  static constexpr std::string_view kEllipsis = "…";
  if (text.size() <= max) return text;
  size_t cut = max > kEllipsis.size() ? max - kEllipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + std::string(kEllipsis);
}

std::optional<double> Number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // Negative, NaN and infinite values are no delay at all.
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0) ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::chrono::milliseconds Millis(double ms) {
  return std::chrono::milliseconds(std::llround(std::min(ms, 1e15)));
}

std::optional<std::string> Header(const HttpResponse& response, const std::string& name) {
  auto it = response.headers.find(name);
  if (it == response.headers.end()) return std::nullopt;
  return it->second;
}

// An HTTP date as milliseconds since the epoch. A double, not a
// system_clock time_point: those count nanoseconds in 64 bits and wrap
// after the year 2262, which a hostile date must not make negative.
std::optional<double> HttpDate(const std::string& text) {
  tm parts{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<double>(timegm(&parts)) * 1000;
}

std::optional<std::chrono::milliseconds> GoogleRetryDelay(const Json& body) {
  // A protobuf Duration: "12.5s".
  std::string delay = StringMember(GoogleDetail(Member(body, "error"), "RetryInfo"), "retryDelay");
  if (!delay.ends_with('s')) return std::nullopt;
  auto seconds = Number(std::string_view(delay).substr(0, delay.size() - 1));
  if (!seconds) return std::nullopt;
  return Millis(*seconds * 1000);
}

}  // namespace

std::string ErrorMessage(const ProviderInfo& provider, const Json& body, std::string_view raw,
                         size_t max) {
  return Truncate(Scrub(Normalize(RawMessage(body, raw)), provider), max);
}

std::optional<std::chrono::milliseconds> RetryHint(const HttpResponse& response, const Json& body,
                                                   std::chrono::system_clock::time_point now) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto now_ms =
      static_cast<double>(duration_cast<milliseconds>(now.time_since_epoch()).count());
  auto until = [&](double epoch_ms) { return Millis(std::max(epoch_ms - now_ms, 0.0)); };
  if (auto ms = Header(response, "retry-after-ms")) {
    if (auto value = Number(*ms)) return Millis(*value);
  }
  if (auto after = Header(response, "retry-after")) {
    if (auto seconds = Number(*after)) return Millis(*seconds * 1000);
    if (auto date = HttpDate(*after)) return until(*date);
  }
  if (auto delay = GoogleRetryDelay(body)) return delay;
  if (auto reset = Header(response, "x-ratelimit-reset")) {
    // OpenRouter: epoch milliseconds. Smaller values are some other
    // provider's convention (seconds, or a duration) and are not guessed at.
    if (auto epoch_ms = Number(*reset); epoch_ms && *epoch_ms > 1e12) {
      return until(*epoch_ms);
    }
  }
  return std::nullopt;
}

bool ShouldNotRetry(const HttpResponse& response) {
  auto value = Header(response, "x-should-retry");
  return value && (*value == "false" || *value == "False" || *value == "FALSE");
}

}  // namespace keywarden::probe_detail
