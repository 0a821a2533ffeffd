// The SQLite implementation of keywarden::Store (every role).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "keywarden/store.h"
#include "store/connection.h"
#include "store/fair_mutex.h"
#include "store/sqlite_error.h"

namespace keywarden::store {

// Thread-safe: calls are serialized on one connection. Neither copyable nor
// movable. Every method runs in one transaction through InTransaction, so a
// new method is a body that reads or writes `db` and returns a Result.
class SqliteStore final : public Store {
 public:
  // Takes a database prepared by OpenDatabase (connection.h).
  explicit SqliteStore(std::unique_ptr<Connection> db);
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<std::optional<Bytes>> GetWrappedDataKey(uint32_t version) override;
  Status PutWrappedDataKey(uint32_t version, const Bytes& wrapped) override;
  Result<SecretUpgrade> UpgradeSecrets(
      const std::function<std::optional<Bytes>(const SealedSecret&)>& rewrap) override;

  Result<Slot> AddSlot(const Slot& slot, const NewVersion& first, const Event& event) override;
  Result<Slot> GetSlot(const SlotKey& key) override;
  Result<std::vector<Slot>> ListSlots(const SlotFilter& filter) override;
  Status ForEachSlot(const SlotFilter& filter,
                     const std::function<Status(const Slot&)>& visit) override;
  // Widens the connection's page cache and maps the file for the first
  // LongWalk alive; the last one to go gives both back.
  std::unique_ptr<LongWalk> BeginLongWalk() override;
  Result<std::pair<Slot, SealedSecret>> GetSlotAndSealed(
      const SlotKey& key, const std::function<Result<int64_t>(const Slot&)>& pick) override;
  Result<Slot> UpdateSlot(const SlotKey& key, const SlotChange& change,
                          const Event& event) override;
  Status RemoveSlot(const SlotKey& key, const Event& event) override;

  Status AppendEvent(const Event& event) override;
  Status AppendEvents(const std::vector<Event>& events, Durability durability) override;
  uint64_t Generation() const override { return generation_.load(std::memory_order_acquire); }
  Result<std::vector<Status>> ServeBatch(const std::vector<ServeRequest>& batch,
                                         Durability durability) override;
  Status SyncLog() override;
  Result<std::vector<Event>> ListEvents(const EventFilter& filter) override;
  Result<TrimmedEvents> TrimEvents(std::optional<int64_t> delete_before,
                                   std::optional<int64_t> aggregate_before, int limit) override;

  Result<StoreCounts> Counts(std::optional<uint32_t> owner_uid) override;

  Status RecordValidation(const ValidationRecord& record) override;
  Result<std::vector<DueCheck>> DueChecks(int64_t now, int limit) override;
  Result<std::optional<int64_t>> NextCheckAt() override;
  Status ScheduleCheck(int64_t version_id, std::optional<int64_t> at, bool reset_attempts) override;
  Status LeaseCheck(int64_t version_id, int64_t until) override;
  Result<int> ReleaseLeases(int64_t now) override;

  Result<Slot> AddVersion(const SlotKey& key, const NewVersion& version,
                          const Event& event) override;
  Result<int> BeginRollback(const SlotKey& key, int64_t now, const Event& event) override;
  Result<int> Revoke(const SlotKey& key, std::optional<int> version, const Event& event) override;
  Result<int> DestroyExpired(int64_t now, uint32_t uid) override;
  Result<std::optional<int64_t>> NextExpiry() override;
  Result<std::vector<DueReminder>> DueReminders(int64_t now, int limit) override;
  Status SetNextReminder(int64_t slot_id, std::optional<int64_t> at,
                         const std::vector<Event>& events) override;
  Result<std::optional<int64_t>> NextReminderAt() override;

  Result<CopyRecord> RecordCopy(const SlotKey& key, const CopyRecord& copy) override;
  Result<std::vector<CopyRecord>> ListCopies(const CopyFilter& filter) override;
  Result<int> ForgetCopies(const SlotKey& key, const std::string& path) override;
  Result<std::vector<KeyMatch>> FindByFingerprint(uint32_t owner_uid,
                                                  const std::string& fingerprint) override;
  Result<CopyCounts> CountCopies(std::optional<uint32_t> owner_uid) override;

  Result<std::optional<KdfParams>> GetKdfParams() override;
  Status SwapWrappedDataKey(uint32_t version, const std::optional<Bytes>& expected,
                            const Bytes& wrapped, const std::optional<KdfParams>& kdf) override;

  Status AddToken(const GatewayToken& token, const Event& event) override;
  Result<std::vector<GatewayToken>> ListTokens(std::optional<uint32_t> owner) override;
  Status RemoveToken(uint32_t owner, std::string_view name, const Event& event) override;

 private:
  // kWriteUnsynced: a write committed without the fsync (synchronous=NORMAL
  // for that one transaction; see Durability::kUnsynced).
  enum class Access { kRead, kWrite, kWriteUnsynced };

  // Runs body(db) in one transaction while holding mu_. Commits if the
  // returned Result holds a value; rolls back on an error or an exception.
  // Exceptions become Errors whose message starts with `context`. Writes
  // take the write lock up front (BEGIN IMMEDIATE) so that a transaction
  // never fails half-way on a lock upgrade.
  // A write empties serve_cache_ unless `keeps_serve_cache` (ServeBatch,
  // which writes only events).
  template <class F>
  std::invoke_result_t<F, Connection&> InTransaction(Access access, std::string_view context,
                                                     F&& body, bool keeps_serve_cache = false) {
    std::lock_guard lock(mu_);
    const bool changes_slots = access != Access::kRead && !keeps_serve_cache;
    if (changes_slots) {
      serve_cache_.clear();
      generation_.fetch_add(1, std::memory_order_acq_rel);
    }
    // Bumped again once committed: a reader between the two bumps may
    // have cached what was there before.
    struct BumpAfter {
      std::atomic<uint64_t>* counter;
      ~BumpAfter() {
        if (counter != nullptr) counter->fetch_add(1, std::memory_order_acq_rel);
      }
    } bump_after{changes_slots ? &generation_ : nullptr};
    return Guard(context, db_->getHandle(), [&]() -> std::invoke_result_t<F, Connection&> {
      std::optional<UnsyncedCommits> unsynced;
      if (access == Access::kWriteUnsynced) unsynced.emplace(*db_);
      Transaction tx(*db_, access != Access::kRead);
      auto result = body(*db_);
      if (result) tx.Commit();
      return result;
    });
  }

  // synchronous=NORMAL for its lifetime, FULL again after (also when the
  // transaction throws). Declared before the transaction, so it outlives it.
  class UnsyncedCommits {
   public:
    explicit UnsyncedCommits(Connection& db);
    ~UnsyncedCommits();
    UnsyncedCommits(const UnsyncedCommits&) = delete;
    UnsyncedCommits& operator=(const UnsyncedCommits&) = delete;

   private:
    Connection& db_;
  };

  // A LongWalk's hold on the wide cache: counted in long_walks_.
  class WideCache;
  void ReleaseWideCache();

  // Moves the WAL into the database and truncates it, so that deleted
  // ciphertext does not linger in the -wal file. Best effort.
  void Checkpoint();

  // What a get needs of a slot (ReadServable): the slot with its current
  // version and that version's checks, and that version's sealed secret.
  struct Servable {
    Slot slot;
    std::optional<SealedSecret> sealed;  // none: no current version, or destroyed
  };
  static Result<Servable> ReadServable(Connection& db, const SlotKey& key);
  // The Servable of `key`, from serve_cache_ or read (and then kept).
  Result<const Servable*> FindServable(const SlotKey& key);

  FairMutex mu_;                    // first come, first served: see fair_mutex.h
  std::unique_ptr<Connection> db_;  // guarded by mu_; never null
  // ServeBatch's reads, by "owner_uid:env/name", kept between batches: a slot served
  // before is not read again. Emptied by every other write through this
  // store and whenever another connection has committed (PRAGMA
  // data_version), so it holds only what the database holds. Guarded by
  // mu_; at most kServeCacheSlots (then emptied).
  static constexpr size_t kServeCacheSlots = 1024;
  std::unordered_map<std::string, Servable> serve_cache_;
  int64_t serve_cache_data_version_ = -1;
  // SlotStore::Generation: bumped by every write that empties serve_cache_,
  // before it starts and after it ends.
  std::atomic<uint64_t> generation_{1};
  // LongWalks alive; the page cache is wide and the file mapped exactly
  // while this is above zero. Guarded by walks_mu_, which is taken before
  // mu_ (never the other way round).
  std::mutex walks_mu_;
  int long_walks_ = 0;
};

}  // namespace keywarden::store
