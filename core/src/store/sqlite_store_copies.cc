// SqliteStore: copies of exported keys and the lookup of a version by its
// keyed fingerprint (keywarden/copy_store.h).
#include <SQLiteCpp/Statement.h>

#include "store/sqlite_store.h"

namespace keywarden::store {
namespace {

constexpr const char* kCopyColumns =
    "s.env, s.name, s.owner_uid, c.uid, c.target, c.path, c.field, c.model, c.version, "
    "c.fingerprint, c.recorded_at, s.current_version, v.state, v.envelope IS NULL";

constexpr const char* kCopyFrom =
    " FROM copies c JOIN slots s ON s.id = c.slot_id"
    " LEFT JOIN versions v ON v.slot_id = c.slot_id AND v.number = c.version";

CopyRecord CopyFromRow(SQLite::Statement& row) {
  CopyRecord copy;
  copy.ref = {row.getColumn(0).getString(), row.getColumn(1).getString()};
  copy.owner_uid = static_cast<uint32_t>(row.getColumn(2).getInt64());
  copy.uid = static_cast<uint32_t>(row.getColumn(3).getInt64());
  copy.target = row.getColumn(4).getString();
  copy.path = row.getColumn(5).getString();
  copy.field = row.getColumn(6).getString();
  copy.model = row.getColumn(7).getString();
  copy.version = row.getColumn(8).getInt();
  copy.fingerprint = row.getColumn(9).getString();
  copy.recorded_at = row.getColumn(10).getInt64();
  if (!row.isColumnNull(11)) copy.current_version = row.getColumn(11).getInt();
  // A version row that is gone counts as destroyed.
  copy.version_state =
      row.isColumnNull(12)
          ? VersionState::kRevoked
          : VersionStateFromName(row.getColumn(12).getString()).value_or(VersionState::kRevoked);
  copy.destroyed = row.isColumnNull(12) || row.getColumn(13).getInt() != 0;
  return copy;
}

}  // namespace

Result<CopyRecord> SqliteStore::RecordCopy(const SlotKey& key, const CopyRecord& copy) {
  return InTransaction(
      Access::kWrite, "record a copy of " + key.ref.str(),
      [&](Connection& db) -> Result<CopyRecord> {
        SQLite::Statement find(db,
                               "SELECT s.id, v.fingerprint FROM slots s JOIN versions v ON "
                               "v.slot_id = s.id AND v.number = :version WHERE s.env = :env AND "
                               "s.name = :name AND s.owner_uid = :owner");
        find.bind(":version", copy.version);
        find.bind(":env", key.ref.env);
        find.bind(":name", key.ref.name);
        find.bind(":owner", static_cast<int64_t>(key.owner_uid));
        if (!find.executeStep()) {
          return Fail(ErrorCode::kNotFound,
                      "no version " + std::to_string(copy.version) + " of " + key.ref.str());
        }
        const int64_t slot_id = find.getColumn(0).getInt64();
        const std::string fingerprint = find.getColumn(1).getString();
        SQLite::Statement upsert(
            db,
            "INSERT INTO copies (slot_id, uid, target, path, field, model, version, fingerprint, "
            "recorded_at) VALUES (:slot, :uid, :target, :path, :field, :model, :version, :fp, "
            ":at) ON CONFLICT (slot_id, path, field) DO UPDATE SET uid = excluded.uid, "
            "target = excluded.target, model = excluded.model, version = excluded.version, "
            "fingerprint = excluded.fingerprint, recorded_at = excluded.recorded_at");
        upsert.bind(":slot", slot_id);
        upsert.bind(":uid", static_cast<int64_t>(copy.uid));
        upsert.bind(":target", copy.target);
        upsert.bind(":path", copy.path);
        upsert.bind(":field", copy.field);
        upsert.bind(":model", copy.model);
        upsert.bind(":version", copy.version);
        upsert.bind(":fp", fingerprint);
        upsert.bind(":at", copy.recorded_at);
        upsert.exec();
        SQLite::Statement read(db, std::string("SELECT ") + kCopyColumns + kCopyFrom +
                                       " WHERE c.slot_id = :slot AND c.path = :path AND "
                                       "c.field = :field");
        read.bind(":slot", slot_id);
        read.bind(":path", copy.path);
        read.bind(":field", copy.field);
        read.executeStep();
        return CopyFromRow(read);
      });
}

Result<std::vector<CopyRecord>> SqliteStore::ListCopies(const CopyFilter& filter) {
  using R = Result<std::vector<CopyRecord>>;
  return InTransaction(Access::kRead, "list copies", [&](Connection& db) -> R {
    std::string sql =
        std::string("SELECT ") + kCopyColumns + kCopyFrom + " WHERE s.owner_uid = :owner";
    if (filter.ref) sql += " AND s.env = :env AND s.name = :name";
    sql += " ORDER BY s.env, s.name, c.path, c.field";
    SQLite::Statement select(db, sql);
    select.bind(":owner", static_cast<int64_t>(filter.owner_uid));
    if (filter.ref) {
      select.bind(":env", filter.ref->env);
      select.bind(":name", filter.ref->name);
    }
    std::vector<CopyRecord> out;
    while (select.executeStep()) out.push_back(CopyFromRow(select));
    return out;
  });
}

Result<int> SqliteStore::ForgetCopies(const SlotKey& key, const std::string& path) {
  return InTransaction(
      Access::kWrite, "forget a copy of " + key.ref.str(), [&](Connection& db) -> Result<int> {
        SQLite::Statement del(db,
                              "DELETE FROM copies WHERE path = :path AND slot_id = (SELECT id FROM "
                              "slots WHERE env = :env AND name = :name AND owner_uid = :owner)");
        del.bind(":path", path);
        del.bind(":env", key.ref.env);
        del.bind(":name", key.ref.name);
        del.bind(":owner", static_cast<int64_t>(key.owner_uid));
        return del.exec();
      });
}

Result<std::vector<KeyMatch>> SqliteStore::FindByFingerprint(uint32_t owner_uid,
                                                             const std::string& fingerprint) {
  using R = Result<std::vector<KeyMatch>>;
  return InTransaction(Access::kRead, "identify a key", [&](Connection& db) -> R {
    SQLite::Statement select(
        db,
        "SELECT s.env, s.name, v.number, v.state, s.current_version, v.envelope IS NULL "
        "FROM versions v JOIN slots s ON s.id = v.slot_id "
        "WHERE v.fingerprint = :fp AND s.owner_uid = :owner ORDER BY s.env, s.name, v.number");
    select.bind(":fp", fingerprint);
    select.bind(":owner", static_cast<int64_t>(owner_uid));
    std::vector<KeyMatch> out;
    while (select.executeStep()) {
      KeyMatch m;
      m.ref = {select.getColumn(0).getString(), select.getColumn(1).getString()};
      m.version = select.getColumn(2).getInt();
      m.state =
          VersionStateFromName(select.getColumn(3).getString()).value_or(VersionState::kRevoked);
      m.current = !select.isColumnNull(4) && select.getColumn(4).getInt() == m.version;
      m.destroyed = select.getColumn(5).getInt() != 0;
      out.push_back(std::move(m));
    }
    return out;
  });
}

Result<CopyCounts> SqliteStore::CountCopies(std::optional<uint32_t> owner_uid) {
  return InTransaction(Access::kRead, "count copies", [&](Connection& db) -> Result<CopyCounts> {
    std::string sql =
        std::string(
            "SELECT COUNT(*), "
            "COALESCE(SUM(v.state IS NOT NULL AND v.state != 'revoked' AND v.envelope IS NOT "
            "NULL AND (s.current_version IS NULL OR c.version != s.current_version)), 0), "
            "COALESCE(SUM(v.state IS NULL OR v.state = 'revoked' OR v.envelope IS NULL), 0)") +
        kCopyFrom;
    if (owner_uid) sql += " WHERE s.owner_uid = :owner";
    SQLite::Statement count(db, sql);
    if (owner_uid) count.bind(":owner", static_cast<int64_t>(*owner_uid));
    count.executeStep();
    CopyCounts out;
    out.copies = count.getColumn(0).getInt64();
    out.stale = count.getColumn(1).getInt64();
    out.revoked = count.getColumn(2).getInt64();
    return out;
  });
}

}  // namespace keywarden::store
