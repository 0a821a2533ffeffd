#include "store/rows.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>

namespace keywarden::store {
namespace {

using nlohmann::json;

std::optional<int64_t> OptionalInt64(const SQLite::Statement& row, int index) {
  if (row.isColumnNull(index)) return std::nullopt;
  return row.getColumn(index).getInt64();
}

std::optional<int> OptionalInt(const SQLite::Statement& row, int index) {
  if (row.isColumnNull(index)) return std::nullopt;
  return row.getColumn(index).getInt();
}

uint32_t Uint32(const SQLite::Statement& row, int index) {
  return static_cast<uint32_t>(row.getColumn(index).getInt64());
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The common shape of a models column, read without a JSON parser into
// `strings` (whose strings keep their memory): an array of strings of
// printable ASCII without escapes, as ModelsToJson writes them. False for
// anything else, which json::parse then reads.
bool PlainStringArray(std::string_view text, std::vector<std::string>& strings) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  size_t count = 0;
  auto done = [&strings, &count] {
    strings.resize(count);
    return true;
  };
  if (text.size() == 2) return done();
  for (size_t at = 1;;) {
    if (text[at] != '"') return false;
    size_t end = at + 1;
    for (; end < text.size() - 1 && text[end] != '"'; ++end) {
      if (text[end] < 0x20 || text[end] > 0x7e || text[end] == '\\') return false;
    }
    if (end == text.size() - 1) return false;  // no closing quote
    const std::string_view item = text.substr(at + 1, end - at - 1);
    if (count < strings.size()) {
      strings[count].assign(item);
    } else {
      strings.emplace_back(item);
    }
    ++count;
    at = end + 1;
    if (at == text.size() - 1) return done();  // at the closing bracket
    if (text[at] != ',') return false;
    ++at;
  }
}

Status ParseModels(std::string_view text, std::vector<std::string>& models) {
  if (PlainStringArray(text, models)) return {};
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return Fail(ErrorCode::kIntegrity, "models is not a JSON array");
  }
  models.clear();
  models.reserve(parsed.size());
  for (const json& model : parsed) {
    if (!model.is_string()) return Fail(ErrorCode::kIntegrity, "models holds a non-string");
    models.push_back(model.get<std::string>());
  }
  return {};
}

Status ParseDiagnoses(std::string_view text, std::vector<Diagnosis>& diagnoses) {
  diagnoses.clear();
  if (text == "[]") return {};  // most versions: no parser needed
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return Fail(ErrorCode::kIntegrity, "diagnoses is not a JSON array");
  }
  diagnoses.reserve(parsed.size());
  for (const json& item : parsed) {
    if (!item.is_object() || !item.contains("code") || !item["code"].is_string() ||
        !item.contains("message") || !item["message"].is_string()) {
      return Fail(ErrorCode::kIntegrity, "diagnoses holds a malformed entry");
    }
    diagnoses.push_back({item["code"].get<std::string>(), item["message"].get<std::string>()});
  }
  return {};
}

}  // namespace

int64_t Row::Int64(int column) const { return sqlite3_column_int64(statement_, column); }

std::string_view Row::Text(int column) const {
  // text before bytes: the length is then that of the UTF-8 text
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  if (!text) return {};
  return std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

std::optional<int64_t> Row::OptionalInt64(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int64(column);
}

bool Row::IsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::span<const uint8_t> Row::Blob(int column) const {
  // blob before bytes, as for text
  const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(statement_, column));
  if (!data) return {};
  return {data, static_cast<size_t>(sqlite3_column_bytes(statement_, column))};
}

namespace {

std::optional<int> OptionalInt(const Row& row, int column) {
  std::optional<int64_t> value = row.OptionalInt64(column);
  if (!value) return std::nullopt;
  return static_cast<int>(*value);
}

}  // namespace

Status SlotFromRow(const Row& row, Slot& slot, int first) {
  int i = first;
  slot.id = row.Int64(i++);
  slot.ref.env.assign(row.Text(i++));
  slot.ref.name.assign(row.Text(i++));
  slot.provider.assign(row.Text(i++));
  slot.endpoint.assign(row.Text(i++));
  if (Status models = ParseModels(row.Text(i++), slot.models); !models) {
    return Fail(ErrorCode::kIntegrity, "slot " + slot.ref.str() + ": " + models.error().message);
  }
  slot.probe.assign(row.Text(i++));
  slot.policy.rotate_every = row.Int64(i++);
  slot.policy.remind_before = row.Int64(i++);
  slot.policy.grace = row.Int64(i++);
  slot.owner_uid = static_cast<uint32_t>(row.Int64(i++));
  slot.current_version = OptionalInt(row, i++);
  slot.pending_version = OptionalInt(row, i++);
  slot.created_at = row.Int64(i++);
  return {};
}

Status VersionFromRow(const Row& row, Version& version, int first) {
  int i = first;
  version.id = row.Int64(i++);
  version.number = static_cast<int>(row.Int64(i++));
  version.uuid.assign(row.Text(i++));
  const std::string_view state = row.Text(i++);
  auto parsed_state = VersionStateFromName(state);
  if (!parsed_state) {
    return Fail(ErrorCode::kIntegrity,
                "version " + version.uuid + ": unknown state " + std::string(state));
  }
  version.state = *parsed_state;
  version.data_key_version = static_cast<uint32_t>(row.Int64(i++));
  version.mask.assign(row.Text(i++));
  version.fingerprint.assign(row.Text(i++));
  version.created_at = row.Int64(i++);
  version.verified_at = row.OptionalInt64(i++);
  version.retired_at = row.OptionalInt64(i++);
  version.next_check_at = row.OptionalInt64(i++);
  version.check_attempts = static_cast<int>(row.Int64(i++));
  version.billed_probes = static_cast<int>(row.Int64(i++));
  if (Status diagnoses = ParseDiagnoses(row.Text(i++), version.diagnoses); !diagnoses) {
    return Fail(ErrorCode::kIntegrity,
                "version " + version.uuid + ": " + diagnoses.error().message);
  }
  return {};
}

Status CheckFromRow(const Row& row, Check& check, int first) {
  int i = first;
  check.model.assign(row.Text(i++));
  const std::string_view outcome = row.Text(i++);
  auto parsed = OutcomeFromName(outcome);
  if (!parsed) {
    return Fail(ErrorCode::kIntegrity,
                "check of " + check.model + ": unknown outcome " + std::string(outcome));
  }
  check.outcome = *parsed;
  check.http_status = static_cast<int>(row.Int64(i++));
  check.detail.assign(row.Text(i++));
  check.checked_at = row.Int64(i++);
  return {};
}

namespace {

// A *FromRow into a fresh object.
template <typename T>
Result<T> Fresh(Status (*from_row)(const Row&, T&, int), const Row& row, int first) {
  T value;
  if (Status read = from_row(row, value, first); !read) return std::unexpected(read.error());
  return value;
}

}  // namespace

Result<Slot> SlotFromRow(const Row& row, int first) { return Fresh(&SlotFromRow, row, first); }

Result<Version> VersionFromRow(const Row& row, int first) {
  return Fresh(&VersionFromRow, row, first);
}

Result<Check> CheckFromRow(const Row& row, int first) { return Fresh(&CheckFromRow, row, first); }

Event EventFromRow(const SQLite::Statement& row, int first) {
  Event event;
  int i = first;
  event.id = row.getColumn(i++).getInt64();
  event.at = row.getColumn(i++).getInt64();
  event.uid = Uint32(row, i++);
  if (auto owner = OptionalInt64(row, i++)) event.owner_uid = static_cast<uint32_t>(*owner);
  event.action = row.getColumn(i++).getString();
  event.ref = row.getColumn(i++).getString();
  event.version = OptionalInt(row, i++);
  event.fingerprint = row.getColumn(i++).getString();
  event.detail = row.getColumn(i++).getString();
  event.count = OptionalInt64(row, i++);
  return event;
}

std::string ModelsToJson(const std::vector<std::string>& models) { return Dump(json(models)); }

std::string DiagnosesToJson(const std::vector<Diagnosis>& diagnoses) {
  json array = json::array();
  for (const Diagnosis& d : diagnoses) array.push_back({{"code", d.code}, {"message", d.message}});
  return Dump(array);
}

void BindOptional(SQLite::Statement& statement, const char* name,
                  const std::optional<int64_t>& value) {
  if (value) {
    statement.bind(name, *value);
  } else {
    statement.bind(name);
  }
}

int64_t InsertEvent(Connection& db, const Event& event) {
  Connection::Use insert = db.Prepare(
      "INSERT INTO events (at, uid, owner_uid, action, ref, version, fingerprint, detail, count) "
      "VALUES (:at, :uid, :owner_uid, :action, :ref, :version, :fingerprint, :detail, :count)");
  insert->bind(":at", event.at);
  insert->bind(":uid", static_cast<int64_t>(event.uid));
  BindOptional(*insert, ":owner_uid", event.owner_uid);
  insert->bind(":action", event.action);
  insert->bind(":ref", event.ref);
  BindOptional(*insert, ":version", event.version);
  insert->bind(":fingerprint", event.fingerprint);
  insert->bind(":detail", event.detail);
  BindOptional(*insert, ":count", event.count);
  insert->exec();
  return db.getLastInsertRowid();
}

void InsertVersion(Connection& db, int64_t slot_id, const SlotRef& ref, const std::string& provider,
                   int number, VersionState state, const NewVersion& version) {
  // A version id names its row to work that outlives the transaction (a
  // check in flight, a served secret awaiting its event). SQLite would give
  // a removed slot's highest ids to the next rows, and a late result would
  // then land on another slot's version, so ids only ever go up: the next
  // one is kept in meta.
  SQLite::Statement next(
      db,
      "SELECT MAX(COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
      "'next_version_id'), 0), COALESCE((SELECT MAX(id) FROM versions), 0) + 1)");
  next.executeStep();
  const int64_t id = next.getColumn(0).getInt64();
  SQLite::Statement save(db,
                         "INSERT OR REPLACE INTO meta (key, value) VALUES ('next_version_id', :v)");
  save.bind(":v", std::to_string(id + 1));
  save.exec();
  SQLite::Statement insert(
      db,
      "INSERT INTO versions (id, slot_id, number, uuid, state, envelope, data_key_version, mask, "
      "fingerprint, created_at, next_check_at, diagnoses) VALUES (:id, :slot_id, :number, :uuid, "
      ":state, :envelope, :data_key_version, :mask, :fingerprint, :created_at, :next_check_at, "
      ":diagnoses)");
  insert.bind(":id", id);
  insert.bind(":slot_id", slot_id);
  insert.bind(":number", number);
  insert.bind(":uuid", version.uuid);
  insert.bind(":state", std::string(VersionStateName(state)));
  const Bytes envelope = version.seal(RowBinding{.version_uuid = version.uuid,
                                                 .slot_ref = ref.str(),
                                                 .provider = provider,
                                                 .data_key_version = version.data_key_version,
                                                 .slot_id = slot_id,
                                                 .version_number = static_cast<uint32_t>(number)});
  insert.bind(":envelope", envelope.data(), static_cast<int>(envelope.size()));
  insert.bind(":data_key_version", static_cast<int64_t>(version.data_key_version));
  insert.bind(":mask", version.mask);
  insert.bind(":fingerprint", version.fingerprint);
  insert.bind(":created_at", version.created_at);
  BindOptional(insert, ":next_check_at", version.next_check_at);
  insert.bind(":diagnoses", DiagnosesToJson(version.diagnoses));
  insert.exec();
}

Result<std::optional<int64_t>> MinOf(Connection& db, const char* sql) {
  SQLite::Statement select(db, sql);
  if (!select.executeStep() || select.isColumnNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(select.getColumn(0).getInt64());
}

}  // namespace keywarden::store
