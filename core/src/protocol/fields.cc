#include "fields.h"

#include <fmt/format.h>

#include <limits>

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

Result<SecretBuffer> TakeSecret(Json& params, std::string_view key, bool required) {
  auto it = params.is_object() ? params.find(key) : params.end();
  if (it == params.end() && !required) return SecretBuffer();
  if (it == params.end() || !it->is_string()) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("params.{}: expected a string", key));
  }
  return SecretBuffer::Take(it->get_ref<std::string&>());
}

Status SlotObject(const Reader& reader, std::string_view key, Json* out) {
  if (Status ok = reader.ObjectMember(key, out); !ok) return ok;
  std::string ref;
  return Reader(*out, reader.Name(key)).String("ref", &ref);
}

Status SlotObjects(const Reader& reader, std::string_view key, std::vector<Json>* out) {
  const Json* list = nullptr;
  if (Status ok = reader.Array(key, &list); !ok) return ok;
  out->clear();
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& slot = (*list)[i];
    const std::string name = fmt::format("{}[{}]", reader.Name(key), i);
    if (!slot.is_object()) return Fail(ErrorCode::kInvalidArgument, name + ": expected an object");
    std::string ref;
    if (Status ok = Reader(slot, name).String("ref", &ref); !ok) return ok;
    out->push_back(slot);
  }
  return {};
}

}  // namespace keywarden::fields
