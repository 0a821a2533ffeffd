// Checked reads of one JSON object's members, for the message decoders
// (keywarden/messages*.h). None throws; each failure is kInvalidArgument
// naming the member by its path ("params.models[2]: expected a string").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/protocol.h"
#include "keywarden/secret.h"
#include "keywarden/slot.h"
#include "keywarden/slot_object.h"

namespace keywarden::fields {

// Reads the members of `object`, which `path` names ("params", "slot",
// "events[3]"); a member "x" is reported as "<path>.x". Null reads as an
// empty object; a reader whose object is neither fails every read with
// "<path>: expected an object".
// Copies nothing it is not asked for; holds a reference to `object`.
class Reader {
 public:
  Reader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  // "<path>.<key>".
  std::string Name(std::string_view key) const;
  // Whether the object holds `key` with a value other than null.
  bool Has(std::string_view key) const;
  // The member, or nullptr when absent.
  const Json* Find(std::string_view key) const;

  Status Object() const;
  Status String(std::string_view key, std::string* out) const;
  Status OptionalString(std::string_view key, std::optional<std::string>* out) const;
  Status Bool(std::string_view key, bool* out) const;
  // false when absent or null.
  Status OptionalBool(std::string_view key, bool* out) const;
  // An integer from `min` to `max`; `what` describes it in the error
  // ("expected <what>").
  Status Integer(std::string_view key, int64_t min, int64_t max, std::string_view what,
                 int64_t* out) const;
  Status OptionalInteger(std::string_view key, int64_t min, int64_t max, std::string_view what,
                         std::optional<int64_t>* out) const;
  // A uid (0 to 2^32-1): "expected a uid".
  Status OptionalUid(std::string_view key, std::optional<uint32_t>* out) const;
  Status Uid(std::string_view key, uint32_t* out) const;
  // An array of strings; a bad item is named "<path>.<key>[i]".
  Status StringList(std::string_view key, std::vector<std::string>* out) const;
  // A member that must be an object (kept as is).
  Status ObjectMember(std::string_view key, Json* out) const;
  Status Array(std::string_view key, const Json** out) const;
  // A time as FormatTime writes it ("2026-11-21T10:00:00Z"), in unix seconds.
  Status Time(std::string_view key, int64_t* out) const;
  // Absent or null: nullopt.
  Status OptionalTime(std::string_view key, std::optional<int64_t>* out) const;
  // [{code, message}].
  Status Diagnoses(std::string_view key, std::vector<Diagnosis>* out) const;
  // [{model, outcome, http_status, detail, checked_at}].
  Status Checks(std::string_view key, std::vector<Check>* out) const;

 private:
  std::unexpected<Error> Bad(std::string_view key, std::string_view expected) const;

  const Json& object_;
  std::string path_;
};

// Moves params[key] into secure memory and wipes the JSON copy. An absent
// member gives an empty buffer unless `required`; anything but a string is
// "params.<key>: expected a string".
Result<SecretBuffer> TakeSecret(Json& params, std::string_view key, bool required);

// The slot object reader[key] (keywarden/slot_object.h), and an array of them.
Status DecodeSlot(const Reader& reader, std::string_view key, SlotObject* out);
Status DecodeSlots(const Reader& reader, std::string_view key, std::vector<SlotObject>* out);
Json EncodeSlots(const std::vector<SlotObject>& slots);

// Sets out[key] when `value` holds one.
template <class T>
void PutOptional(Json& out, std::string_view key, const std::optional<T>& value) {
  if (value) out[std::string(key)] = *value;
}
// *value, or null.
template <class T>
Json OrNull(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

}  // namespace keywarden::fields
