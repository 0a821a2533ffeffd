// copy.record, copy.list, copy.forget and key.identify: the wire forms of
// keywarden/messages_copies.h.
#include "keywarden/messages_copies.h"

#include <limits>

#include "fields.h"

namespace keywarden {

using fields::OrNull;
using fields::PutOptional;
using fields::Reader;

namespace {

constexpr int64_t kMaxVersion = std::numeric_limits<int>::max();

template <class P>
Status CheckNames(const Json& params) {
  return CheckParamNames(params, P::kMethod, P::kFields);
}

Status DecodeCopy(const Json& json, const std::string& path, CopyObject* out) {
  Reader r(json, path);
  if (Status ok = r.Object(); !ok) return ok;
  if (Status ok = r.String("ref", &out->ref); !ok) return ok;
  if (Status ok = r.String("target", &out->target); !ok) return ok;
  if (Status ok = r.String("path", &out->path); !ok) return ok;
  if (Status ok = r.String("field", &out->field); !ok) return ok;
  if (Status ok = r.String("model", &out->model); !ok) return ok;
  if (Status ok = r.Integer("version", 1, kMaxVersion, "a version number", &out->version); !ok) {
    return ok;
  }
  if (Status ok = r.String("version_state", &out->version_state); !ok) return ok;
  if (Status ok = r.OptionalBool("destroyed", &out->destroyed); !ok) return ok;
  if (Status ok = r.OptionalInteger("current_version", 1, kMaxVersion, "a version number",
                                    &out->current_version);
      !ok) {
    return ok;
  }
  if (Status ok = r.String("recorded", &out->recorded); !ok) return ok;
  return r.String("recorded_at", &out->recorded_at);
}

}  // namespace

Json EncodeCopy(const CopyObject& c) {
  return Json{{"ref", c.ref},
              {"target", c.target},
              {"path", c.path},
              {"field", c.field},
              {"model", c.model},
              {"version", c.version},
              {"version_state", c.version_state},
              {"destroyed", c.destroyed},
              {"current_version", OrNull(c.current_version)},
              {"recorded", c.recorded},
              {"recorded_at", c.recorded_at}};
}

Status Decode(Json& params, CopyRecordParams* out) {
  if (Status ok = CheckNames<CopyRecordParams>(params); !ok) return ok;
  Reader r(params, "params");
  if (Status ok = r.String("ref", &out->ref); !ok) return ok;
  if (Status ok = r.String("target", &out->target); !ok) return ok;
  if (Status ok = r.String("path", &out->path); !ok) return ok;
  if (Status ok = r.String("field", &out->field); !ok) return ok;
  std::optional<std::string> model;
  if (Status ok = r.OptionalString("model", &model); !ok) return ok;
  out->model = model.value_or("");
  return r.Integer("version", 1, kMaxVersion, "a version number", &out->version);
}

Json Encode(const CopyRecordParams& p) {
  return Json{{"ref", p.ref},     {"target", p.target}, {"path", p.path},
              {"field", p.field}, {"model", p.model},   {"version", p.version}};
}

Status Decode(const Json& result, CopyRecordResult* out) {
  Reader r(result, "result");
  const Json* copy = r.Find("copy");
  if (copy == nullptr) return Fail(ErrorCode::kInvalidArgument, "result.copy: expected an object");
  return DecodeCopy(*copy, "result.copy", &out->copy);
}

Json Encode(const CopyRecordResult& result) { return Json{{"copy", EncodeCopy(result.copy)}}; }

Status Decode(Json& params, CopyListParams* out) {
  if (Status ok = CheckNames<CopyListParams>(params); !ok) return ok;
  return Reader(params, "params").OptionalString("ref", &out->ref);
}

Json Encode(const CopyListParams& p) {
  Json out = Json::object();
  PutOptional(out, "ref", p.ref);
  return out;
}

Status Decode(const Json& result, CopyListResult* out) {
  Reader r(result, "result");
  const Json* list = nullptr;
  if (Status ok = r.Array("copies", &list); !ok) return ok;
  out->copies.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    CopyObject copy;
    if (Status ok = DecodeCopy((*list)[i], r.Name("copies") + "[" + std::to_string(i) + "]", &copy);
        !ok) {
      return ok;
    }
    out->copies.push_back(std::move(copy));
  }
  return {};
}

Json Encode(const CopyListResult& result) {
  Json list = Json::array();
  for (const CopyObject& c : result.copies) list.push_back(EncodeCopy(c));
  return Json{{"copies", std::move(list)}};
}

Status Decode(Json& params, CopyForgetParams* out) {
  if (Status ok = CheckNames<CopyForgetParams>(params); !ok) return ok;
  Reader r(params, "params");
  if (Status ok = r.String("ref", &out->ref); !ok) return ok;
  return r.String("path", &out->path);
}

Json Encode(const CopyForgetParams& p) { return Json{{"ref", p.ref}, {"path", p.path}}; }

Status Decode(const Json& result, CopyForgetResult* out) {
  return Reader(result, "result")
      .Integer("forgotten", 0, std::numeric_limits<int64_t>::max(), "a count", &out->forgotten);
}

Json Encode(const CopyForgetResult& result) { return Json{{"forgotten", result.forgotten}}; }

Status Decode(Json& params, IdentifyKeyParams* out) {
  // The secret first, so that every failure below leaves no plaintext copy.
  Result<SecretBuffer> secret = fields::TakeSecret(params, "secret", true);
  if (!secret) return std::unexpected(secret.error());
  out->secret = std::move(*secret);
  return CheckNames<IdentifyKeyParams>(params);
}

Json Encode(const IdentifyKeyParams&) { return Json::object(); }

std::vector<SecretParam> SecretsOf(const IdentifyKeyParams& params) {
  return {{"secret", params.secret.view()}};
}

Status Decode(const Json& result, IdentifyKeyResult* out) {
  Reader r(result, "result");
  const Json* list = nullptr;
  if (Status ok = r.Array("matches", &list); !ok) return ok;
  out->matches.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    Reader item((*list)[i], r.Name("matches") + "[" + std::to_string(i) + "]");
    KeyMatchObject m;
    if (Status ok = item.String("ref", &m.ref); !ok) return ok;
    if (Status ok = item.Integer("version", 1, kMaxVersion, "a version number", &m.version); !ok) {
      return ok;
    }
    if (Status ok = item.String("state", &m.state); !ok) return ok;
    if (Status ok = item.OptionalBool("current", &m.current); !ok) return ok;
    if (Status ok = item.OptionalBool("destroyed", &m.destroyed); !ok) return ok;
    out->matches.push_back(std::move(m));
  }
  return {};
}

Json Encode(const IdentifyKeyResult& result) {
  Json list = Json::array();
  for (const KeyMatchObject& m : result.matches) {
    list.push_back({{"ref", m.ref},
                    {"version", m.version},
                    {"state", m.state},
                    {"current", m.current},
                    {"destroyed", m.destroyed}});
  }
  return Json{{"matches", std::move(list)}};
}

}  // namespace keywarden
