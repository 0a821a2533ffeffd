#include "store/sqlite_store.h"

#include <SQLiteCpp/Statement.h>
#include <malloc.h>
#include <sqlite3.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "store/connection.h"
#include "store/rows.h"
#include "store/slot_loader.h"

namespace keywarden {

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& file) {
  auto db = store::OpenDatabase(file);
  if (!db) return std::unexpected(db.error());
  return std::make_unique<store::SqliteStore>(std::move(*db));
}

namespace store {
namespace {

Status ValidateNewSlot(const Slot& slot, const NewVersion& first) {
  if (!IsValidRefPart(slot.ref.env) || !IsValidRefPart(slot.ref.name)) {
    return Fail(ErrorCode::kInvalidArgument, "invalid slot name " + slot.ref.str(),
                "ENV and NAME match [a-z0-9][a-z0-9_-]{0,62}");
  }
  if (slot.probe != "complete" && slot.probe != "list") {
    return Fail(ErrorCode::kInvalidArgument, "probe must be complete or list, not " + slot.probe);
  }
  if (first.uuid.empty() || !first.seal) {
    return Fail(ErrorCode::kInvalidArgument, "a new version needs a uuid and a seal");
  }
  return {};
}

int64_t InsertSlot(Connection& db, const Slot& slot) {
  SQLite::Statement insert(
      db,
      "INSERT INTO slots (env, name, provider, endpoint, models, probe, rotate_every, "
      "remind_before, grace, owner_uid, current_version, pending_version, created_at) "
      "VALUES (:env, :name, :provider, :endpoint, :models, :probe, :rotate_every, "
      ":remind_before, :grace, :owner_uid, NULL, 1, :created_at)");
  insert.bind(":env", slot.ref.env);
  insert.bind(":name", slot.ref.name);
  insert.bind(":provider", slot.provider);
  insert.bind(":endpoint", slot.endpoint);
  insert.bind(":models", ModelsToJson(slot.models));
  insert.bind(":probe", slot.probe);
  insert.bind(":rotate_every", slot.policy.rotate_every);
  insert.bind(":remind_before", slot.policy.remind_before);
  insert.bind(":grace", slot.policy.grace);
  insert.bind(":owner_uid", static_cast<int64_t>(slot.owner_uid));
  insert.bind(":created_at", slot.created_at);
  if (!InsertUnlessDuplicate(insert)) return 0;
  return db.getLastInsertRowid();
}

Bytes BlobBytes(const SQLite::Column& column) {
  const auto* data = static_cast<const uint8_t*>(column.getBlob());
  return Bytes(data, data + column.getBytes());
}

SlotQuery QueryOf(const SlotFilter& filter) {
  return {.env = filter.env,
          .owner_uid = filter.owner_uid,
          .after = filter.after,
          .limit = filter.limit};
}

Result<Slot> ReadSlot(Connection& db, const SlotKey& key) {
  auto found =
      LoadSlots(db, {.env = key.ref.env, .name = key.ref.name, .owner_uid = key.owner_uid});
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return Fail(ErrorCode::kNotFound, "no slot " + key.ref.str());
  return std::move(found->front());
}

Result<SealedSecret> ReadSealed(Connection& db, int64_t version_id) {
  // The binding comes from the row as stored, not from the caller: an
  // edited column then fails to open instead of being trusted.
  Connection::Use select = db.Prepare(
      "SELECT v.envelope, v.uuid, s.env || '/' || s.name, s.provider, v.data_key_version, "
      "v.slot_id, v.number, v.fingerprint "
      "FROM versions v JOIN slots s ON s.id = v.slot_id WHERE v.id = :id");
  select->bind(":id", version_id);
  if (!select->executeStep()) {
    return Fail(ErrorCode::kNotFound, "no version with id " + std::to_string(version_id));
  }
  if (select->isColumnNull(0)) {
    return Fail(ErrorCode::kNotFound,
                "the secret of version " + select->getColumn(1).getString() + " was destroyed");
  }
  SealedSecret sealed;
  sealed.envelope = BlobBytes(select->getColumn(0));
  sealed.binding.version_uuid = select->getColumn(1).getString();
  sealed.binding.slot_ref = select->getColumn(2).getString();
  sealed.binding.provider = select->getColumn(3).getString();
  sealed.binding.data_key_version = static_cast<uint32_t>(select->getColumn(4).getInt64());
  sealed.binding.slot_id = select->getColumn(5).getInt64();
  sealed.binding.version_number = static_cast<uint32_t>(select->getColumn(6).getInt64());
  sealed.fingerprint = select->getColumn(7).getString();
  return sealed;
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Connection> db) : db_(std::move(db)) {}

SqliteStore::UnsyncedCommits::UnsyncedCommits(Connection& db) : db_(db) {
  db_.Run("PRAGMA synchronous = NORMAL");
}

SqliteStore::UnsyncedCommits::~UnsyncedCommits() {
  // Cannot fail short of a misuse; abort rather than leave every later
  // commit unsynced.
  if (!db_.TryRun("PRAGMA synchronous = FULL")) std::abort();
}

Status SqliteStore::SyncLog() {
  std::lock_guard lock(mu_);
  return Guard("sync the log", db_->getHandle(), [&]() -> Status {
    db_->exec("PRAGMA wal_checkpoint(PASSIVE)");
    return {};
  });
}

void SqliteStore::Checkpoint() {
  std::lock_guard lock(mu_);
  db_->tryExec("PRAGMA wal_checkpoint(TRUNCATE)");
}

Result<std::optional<Bytes>> SqliteStore::GetWrappedDataKey(uint32_t version) {
  using R = Result<std::optional<Bytes>>;
  return InTransaction(Access::kRead, "read data key", [&](Connection& db) -> R {
    SQLite::Statement select(db, "SELECT wrapped FROM data_keys WHERE version = :version");
    select.bind(":version", static_cast<int64_t>(version));
    if (!select.executeStep()) return std::nullopt;
    return BlobBytes(select.getColumn(0));
  });
}

Status SqliteStore::PutWrappedDataKey(uint32_t version, const Bytes& wrapped) {
  return InTransaction(Access::kWrite, "store data key", [&](Connection& db) -> Status {
    SQLite::Statement insert(
        db,
        "INSERT INTO data_keys (version, wrapped, created_at) VALUES (:version, :wrapped, :at)");
    insert.bind(":version", static_cast<int64_t>(version));
    insert.bind(":wrapped", wrapped.data(), static_cast<int>(wrapped.size()));
    insert.bind(":at", static_cast<int64_t>(std::time(nullptr)));
    if (!InsertUnlessDuplicate(insert)) {
      return Fail(ErrorCode::kAlreadyExists,
                  "data key version " + std::to_string(version) + " already exists");
    }
    return {};
  });
}

Result<Slot> SqliteStore::AddSlot(const Slot& slot, const NewVersion& first, const Event& event) {
  if (auto s = ValidateNewSlot(slot, first); !s) return std::unexpected(s.error());
  return InTransaction(
      Access::kWrite, "add slot " + slot.ref.str(), [&](Connection& db) -> Result<Slot> {
        const int64_t slot_id = InsertSlot(db, slot);
        if (slot_id == 0) {
          return Fail(ErrorCode::kAlreadyExists, "slot " + slot.ref.str() + " already exists");
        }
        InsertVersion(db, slot_id, slot.ref, slot.provider, 1, VersionState::kPending, first);
        InsertEvent(db, event);
        auto added = LoadSlots(db, {.id = slot_id});
        if (!added) return std::unexpected(added.error());
        return std::move(added->front());
      });
}

Result<Slot> SqliteStore::GetSlot(const SlotKey& key) {
  return InTransaction(Access::kRead, "read slot " + key.ref.str(),
                       [&](Connection& db) { return ReadSlot(db, key); });
}

Result<std::vector<Slot>> SqliteStore::ListSlots(const SlotFilter& filter) {
  return InTransaction(Access::kRead, "list slots",
                       [&](Connection& db) { return LoadSlots(db, QueryOf(filter)); });
}

Status SqliteStore::ForEachSlot(const SlotFilter& filter,
                                const std::function<Status(const Slot&)>& visit) {
  return InTransaction(Access::kRead, "list slots", [&](Connection& db) {
    return store::ForEachSlot(db, QueryOf(filter), [&visit](Slot& slot) { return visit(slot); });
  });
}

// The three cursors of a walk visit each table in slot order, not page
// order: with the default page cache most pages were read several times
// (docs/benchmarks.md). For the walk the file
// is also mapped: its pages are then read where the kernel keeps them,
// neither copied by pread(2) nor held twice in freshly allocated cache
// (docs/benchmarks.md). SQLite still writes with write(2). The mapping goes
// with the last LongWalk, so an idle daemon maps nothing: a read error of
// the disk under a mapping is a SIGBUS rather than an error, a risk taken
// for the length of a list only.
//
// Counted, not set and reset by each walk: two lists that overlap share the
// wide cache, and the first to end must not narrow it under the other.
class SqliteStore::WideCache final : public LongWalk {
 public:
  explicit WideCache(SqliteStore& store) : store_(store) {}
  ~WideCache() override { store_.ReleaseWideCache(); }
  WideCache(const WideCache&) = delete;
  WideCache& operator=(const WideCache&) = delete;

 private:
  SqliteStore& store_;
};

// Only the first walk and the last one wait for mu_ (behind a running
// transaction, such as another list's piece): a list that starts or ends
// while others walk only counts, and never holds up the caller (the event
// loop) behind them. walks_mu_ is held across the change of the pragmas,
// so that a walk that begins as the last one ends finds the cache wide.
std::unique_ptr<LongWalk> SqliteStore::BeginLongWalk() {
  std::lock_guard count(walks_mu_);
  if (long_walks_++ == 0) {
    std::lock_guard lock(mu_);
    db_->tryExec("PRAGMA cache_size = -131072");
    db_->tryExec("PRAGMA mmap_size = 1073741824");
  }
  return std::make_unique<WideCache>(*this);
}

void SqliteStore::ReleaseWideCache() {
  {
    std::lock_guard count(walks_mu_);
    if (--long_walks_ > 0) return;
    std::lock_guard lock(mu_);
    db_->tryExec("PRAGMA mmap_size = 0");
    db_->tryExec("PRAGMA cache_size = -2000");
    sqlite3_db_release_memory(db_->getHandle());
  }
  // The cache's pages went back to the heap; give the heap back to the
  // system too (this takes a while on a large heap, hence once, by the last
  // walk), so that an idle daemon stays small.
  ::malloc_trim(0);
}

Result<std::pair<Slot, SealedSecret>> SqliteStore::GetSlotAndSealed(
    const SlotKey& key, const std::function<Result<int64_t>(const Slot&)>& pick) {
  using R = Result<std::pair<Slot, SealedSecret>>;
  return InTransaction(Access::kRead, "read slot " + key.ref.str(), [&](Connection& db) -> R {
    Result<Slot> slot = ReadSlot(db, key);
    if (!slot) return std::unexpected(slot.error());
    Result<int64_t> version_id = pick(*slot);
    if (!version_id) return std::unexpected(version_id.error());
    Result<SealedSecret> sealed = ReadSealed(db, *version_id);
    if (!sealed) return std::unexpected(sealed.error());
    return std::pair{std::move(*slot), std::move(*sealed)};
  });
}

Result<std::vector<Status>> SqliteStore::ServeBatch(const std::vector<ServeRequest>& batch,
                                                    Durability durability) {
  using R = Result<std::vector<Status>>;
  const Access access = durability == Durability::kSynced ? Access::kWrite : Access::kWriteUnsynced;
  return InTransaction(
      access, "serve secrets",
      [&](Connection& db) -> R {
        std::vector<Status> outcomes;
        outcomes.reserve(batch.size());
        // Another connection's commit (another process, a test's edit) may
        // have changed any slot.
        Connection::Use data_version = db.Prepare("PRAGMA data_version");
        data_version->executeStep();
        const int64_t version = data_version->getColumn(0).getInt64();
        if (version != serve_cache_data_version_) {
          serve_cache_.clear();
          serve_cache_data_version_ = version;
        }
        for (const ServeRequest& request : batch) {
          Result<const Servable*> read = FindServable(request.slot);
          if (!read) {
            outcomes.push_back(std::unexpected(read.error()));
            continue;
          }
          const Servable& servable = **read;
          Result<Event> event =
              request.serve(servable.slot, servable.sealed ? &*servable.sealed : nullptr);
          if (!event) {
            outcomes.push_back(std::unexpected(event.error()));
            continue;
          }
          InsertEvent(db, *event);
          outcomes.emplace_back();
        }
        return outcomes;
      },
      /*keeps_serve_cache=*/true);
}

// Two statements: the slot row joined with its current version and that
// version's envelope, then that version's checks. A slot without a current
// version is read whole: it is not usable, and its newest attempt says why.
Result<SqliteStore::Servable> SqliteStore::ReadServable(Connection& db, const SlotKey& key) {
  const SlotRef& ref = key.ref;
  static const std::string kSlotSql =
      std::string("SELECT ") + kSlotColumns + ", " + kVersionColumns +
      ", v.envelope FROM slots s LEFT JOIN versions v ON v.slot_id = s.id AND v.number = "
      "s.current_version WHERE s.env = :env AND s.name = :name AND s.owner_uid = :owner";
  static const std::string kChecksSql = std::string("SELECT ") + kCheckColumns +
                                        " FROM checks c WHERE c.version_id = :id ORDER BY c.model";
  Connection::RawUse select = db.PrepareRaw(kSlotSql);
  sqlite3_bind_text(select.get(), 1, ref.env.data(), static_cast<int>(ref.env.size()),
                    SQLITE_STATIC);
  sqlite3_bind_text(select.get(), 2, ref.name.data(), static_cast<int>(ref.name.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int64(select.get(), 3, key.owner_uid);
  if (!select.Step()) return Fail(ErrorCode::kNotFound, "no slot " + ref.str());
  const Row row(select);
  Result<Slot> slot = SlotFromRow(row);
  if (!slot) return std::unexpected(slot.error());
  if (!slot->current_version) {
    Result<Slot> whole = ReadSlot(db, key);
    if (!whole) return std::unexpected(whole.error());
    return Servable{std::move(*whole), std::nullopt};
  }
  Servable servable{std::move(*slot), std::nullopt};
  if (row.IsNull(kSlotColumnCount)) return servable;  // the current version's row is missing
  Result<Version> version = VersionFromRow(row, kSlotColumnCount);
  if (!version) return std::unexpected(version.error());
  const int envelope = kSlotColumnCount + kVersionColumnCount;
  if (!row.IsNull(envelope)) {
    const std::span<const uint8_t> bytes = row.Blob(envelope);
    SealedSecret sealed;
    sealed.envelope.assign(bytes.begin(), bytes.end());
    sealed.binding.version_uuid = version->uuid;
    sealed.binding.slot_ref = servable.slot.ref.str();
    sealed.binding.provider = servable.slot.provider;
    sealed.binding.data_key_version = version->data_key_version;
    sealed.binding.slot_id = servable.slot.id;
    sealed.binding.version_number = static_cast<uint32_t>(version->number);
    sealed.fingerprint = version->fingerprint;
    servable.sealed = std::move(sealed);
  }
  Connection::RawUse checks = db.PrepareRaw(kChecksSql);
  sqlite3_bind_int64(checks.get(), 1, version->id);
  const Row check_row(checks);
  while (checks.Step()) {
    Result<Check> check = CheckFromRow(check_row);
    if (!check) return std::unexpected(check.error());
    version->checks.push_back(std::move(*check));
  }
  servable.slot.versions.push_back(std::move(*version));
  return servable;
}

Result<const SqliteStore::Servable*> SqliteStore::FindServable(const SlotKey& key) {
  std::string cached = std::to_string(key.owner_uid) + ':' + key.ref.str();
  if (auto it = serve_cache_.find(cached); it != serve_cache_.end()) return &it->second;
  Result<Servable> read = ReadServable(*db_, key);
  if (!read) return std::unexpected(read.error());
  if (serve_cache_.size() >= kServeCacheSlots) serve_cache_.clear();
  return &serve_cache_.emplace(std::move(cached), std::move(*read)).first->second;
}

Result<Slot> SqliteStore::UpdateSlot(const SlotKey& key, const SlotChange& change,
                                     const Event& event) {
  const SlotRef& ref = key.ref;
  if (change.probe && *change.probe != "complete" && *change.probe != "list") {
    return Fail(ErrorCode::kInvalidArgument, "unknown probe kind \"" + *change.probe + "\"");
  }
  return InTransaction(
      Access::kWrite, "change slot " + ref.str(), [&](Connection& db) -> Result<Slot> {
        Result<Slot> slot = ReadSlot(db, key);
        if (!slot) return std::unexpected(slot.error());
        const std::vector<std::string>& models = change.models ? *change.models : slot->models;
        const std::string& endpoint = change.endpoint ? *change.endpoint : slot->endpoint;
        const std::string& probe = change.probe ? *change.probe : slot->probe;
        const RotationPolicy& policy = change.policy ? *change.policy : slot->policy;
        SQLite::Statement update(
            db,
            "UPDATE slots SET models = :models, endpoint = :endpoint, probe = :probe, "
            "rotate_every = :rotate_every, remind_before = :remind_before, grace = :grace, "
            "next_reminder_at = CASE WHEN :set_reminder THEN :reminder ELSE next_reminder_at END "
            "WHERE id = :id");
        update.bind(":models", ModelsToJson(models));
        update.bind(":endpoint", endpoint);
        update.bind(":probe", probe);
        update.bind(":rotate_every", policy.rotate_every);
        update.bind(":remind_before", policy.remind_before);
        update.bind(":grace", policy.grace);
        update.bind(":set_reminder", change.next_reminder_at.has_value() ? 1 : 0);
        BindOptional(update, ":reminder", change.next_reminder_at.value_or(std::nullopt));
        update.bind(":id", slot->id);
        update.exec();
        SQLite::Statement recheck(db,
                                  "UPDATE versions SET next_check_at = :at, check_attempts = 0 "
                                  "WHERE id = :id AND slot_id = :slot");
        for (int64_t id : change.recheck) {
          recheck.bind(":at", change.recheck_at);
          recheck.bind(":id", id);
          recheck.bind(":slot", slot->id);
          recheck.exec();
          recheck.reset();
        }
        InsertEvent(db, event);
        auto updated = LoadSlots(db, {.id = slot->id});
        if (!updated) return std::unexpected(updated.error());
        return std::move(updated->front());
      });
}

Status SqliteStore::RemoveSlot(const SlotKey& key, const Event& event) {
  const SlotRef& ref = key.ref;
  Status removed =
      InTransaction(Access::kWrite, "remove slot " + ref.str(), [&](Connection& db) -> Status {
        // Versions and checks go by ON DELETE CASCADE; events stay.
        SQLite::Statement remove(
            db, "DELETE FROM slots WHERE env = :env AND name = :name AND owner_uid = :owner");
        remove.bind(":env", ref.env);
        remove.bind(":name", ref.name);
        remove.bind(":owner", static_cast<int64_t>(key.owner_uid));
        if (remove.exec() == 0) return Fail(ErrorCode::kNotFound, "no slot " + ref.str());
        InsertEvent(db, event);
        return {};
      });
  if (removed) Checkpoint();
  return removed;
}

}  // namespace store
}  // namespace keywarden
