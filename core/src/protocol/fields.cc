#include "fields.h"

#include <fmt/format.h>

#include <limits>

#include "keywarden/clock.h"

namespace keywarden::fields {

std::string Reader::Name(std::string_view key) const { return fmt::format("{}.{}", path_, key); }

const Json* Reader::Find(std::string_view key) const {
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

bool Reader::Has(std::string_view key) const {
  const Json* value = Find(key);
  return value != nullptr && !value->is_null();
}

std::unexpected<Error> Reader::Bad(std::string_view key, std::string_view expected) const {
  if (Status ok = Object(); !ok) return std::unexpected(ok.error());
  return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: expected {}", Name(key), expected));
}

Status Reader::Object() const {
  // Null stands for an empty object, as absent params do on the wire.
  if (object_.is_object() || object_.is_null()) return {};
  return Fail(ErrorCode::kInvalidArgument, path_ + ": expected an object");
}

Status Reader::String(std::string_view key, std::string* out) const {
  const Json* value = Find(key);
  if (value == nullptr || !value->is_string()) return Bad(key, "a string");
  *out = value->get<std::string>();
  return {};
}

Status Reader::OptionalString(std::string_view key, std::optional<std::string>* out) const {
  if (Status ok = Object(); !ok) return ok;
  out->reset();
  if (!Has(key)) return {};
  std::string text;
  if (Status ok = String(key, &text); !ok) return ok;
  *out = std::move(text);
  return {};
}

Status Reader::Bool(std::string_view key, bool* out) const {
  const Json* value = Find(key);
  if (value == nullptr || !value->is_boolean()) return Bad(key, "true or false");
  *out = value->get<bool>();
  return {};
}

Status Reader::OptionalBool(std::string_view key, bool* out) const {
  if (Status ok = Object(); !ok) return ok;
  *out = false;
  return Has(key) ? Bool(key, out) : Status();
}

Status Reader::Integer(std::string_view key, int64_t min, int64_t max, std::string_view what,
                       int64_t* out) const {
  const Json* value = Find(key);
  // An unsigned above INT64_MAX would wrap in get<int64_t>: out of range.
  if (value == nullptr || !value->is_number_integer() ||
      (value->is_number_unsigned() &&
       value->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    return Bad(key, what);
  }
  const auto number = value->get<int64_t>();
  if (number < min || number > max) return Bad(key, what);
  *out = number;
  return {};
}

Status Reader::OptionalInteger(std::string_view key, int64_t min, int64_t max,
                               std::string_view what, std::optional<int64_t>* out) const {
  if (Status ok = Object(); !ok) return ok;
  out->reset();
  if (!Has(key)) return {};
  int64_t number = 0;
  if (Status ok = Integer(key, min, max, what, &number); !ok) return ok;
  *out = number;
  return {};
}

Status Reader::Uid(std::string_view key, uint32_t* out) const {
  int64_t number = 0;
  if (Status ok = Integer(key, 0, std::numeric_limits<uint32_t>::max(), "a uid", &number); !ok) {
    return ok;
  }
  *out = static_cast<uint32_t>(number);
  return {};
}

Status Reader::OptionalUid(std::string_view key, std::optional<uint32_t>* out) const {
  if (Status ok = Object(); !ok) return ok;
  out->reset();
  if (!Has(key)) return {};
  uint32_t uid = 0;
  if (Status ok = Uid(key, &uid); !ok) return ok;
  *out = uid;
  return {};
}

Status Reader::StringList(std::string_view key, std::vector<std::string>* out) const {
  const Json* value = Find(key);
  if (value == nullptr || !value->is_array()) return Bad(key, "an array of strings");
  out->clear();
  for (size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    if (!item.is_string()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}[{}]: expected a string", Name(key), i));
    }
    out->push_back(item.get<std::string>());
  }
  return {};
}

Status Reader::ObjectMember(std::string_view key, Json* out) const {
  const Json* value = Find(key);
  if (value == nullptr || !value->is_object()) return Bad(key, "an object");
  *out = *value;
  return {};
}

Status Reader::Array(std::string_view key, const Json** out) const {
  const Json* value = Find(key);
  if (value == nullptr || !value->is_array()) return Bad(key, "an array");
  *out = value;
  return {};
}

Status Reader::Diagnoses(std::string_view key, std::vector<Diagnosis>* out) const {
  const Json* list = nullptr;
  if (Status ok = Array(key, &list); !ok) return ok;
  out->clear();
  for (size_t i = 0; i < list->size(); ++i) {
    Reader item((*list)[i], fmt::format("{}[{}]", Name(key), i));
    Diagnosis d;
    if (Status ok = item.String("code", &d.code); !ok) return ok;
    if (Status ok = item.String("message", &d.message); !ok) return ok;
    out->push_back(std::move(d));
  }
  return {};
}

Status Reader::Time(std::string_view key, int64_t* out) const {
  const Json* value = Find(key);
  std::optional<int64_t> t;
  if (value != nullptr && value->is_string()) t = ParseTime(value->get_ref<const std::string&>());
  if (!t) return Bad(key, "a time like 2026-11-21T10:00:00Z");
  *out = *t;
  return {};
}

Status Reader::OptionalTime(std::string_view key, std::optional<int64_t>* out) const {
  out->reset();
  if (!Has(key)) return {};
  int64_t t = 0;
  if (Status ok = Time(key, &t); !ok) return ok;
  *out = t;
  return {};
}

Status Reader::Checks(std::string_view key, std::vector<Check>* out) const {
  const Json* list = nullptr;
  if (Status ok = Array(key, &list); !ok) return ok;
  out->clear();
  for (size_t i = 0; i < list->size(); ++i) {
    Reader item((*list)[i], fmt::format("{}[{}]", Name(key), i));
    Check c;
    std::string outcome;
    int64_t status = 0;
    if (Status ok = item.String("model", &c.model); !ok) return ok;
    if (Status ok = item.String("outcome", &outcome); !ok) return ok;
    std::optional<Outcome> parsed = OutcomeFromName(outcome);
    if (!parsed) return item.Bad("outcome", "an outcome (ok, denied, not_found, ...)");
    c.outcome = *parsed;
    if (Status ok = item.Integer("http_status", 0, 999, "an HTTP status", &status); !ok) {
      return ok;
    }
    c.http_status = static_cast<int>(status);
    if (Status ok = item.String("detail", &c.detail); !ok) return ok;
    if (Status ok = item.Time("checked_at", &c.checked_at); !ok) return ok;
    out->push_back(std::move(c));
  }
  return {};
}

Result<SecretBuffer> TakeSecret(Json& params, std::string_view key, bool required) {
  auto it = params.is_object() ? params.find(key) : params.end();
  if (it == params.end() && !required) return SecretBuffer();
  if (it == params.end() || !it->is_string()) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("params.{}: expected a string", key));
  }
  return SecretBuffer::Take(it->get_ref<std::string&>());
}

Status DecodeSlot(const Reader& reader, std::string_view key, SlotObject* out) {
  if (Status ok = reader.Object(); !ok) return ok;
  const Json* value = reader.Find(key);
  static const Json kAbsent;
  return Decode(value ? *value : kAbsent, reader.Name(key), out);
}

Status DecodeSlots(const Reader& reader, std::string_view key, std::vector<SlotObject>* out) {
  const Json* list = nullptr;
  if (Status ok = reader.Array(key, &list); !ok) return ok;
  return Decode(*list, reader.Name(key), out);
}

Json EncodeSlots(const std::vector<SlotObject>& slots) {
  Json out = Json::array();
  for (const SlotObject& slot : slots) out.push_back(Encode(slot));
  return out;
}

}  // namespace keywarden::fields
