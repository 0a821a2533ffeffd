// The SQLite store against real database files in a fresh directory per test.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>

// The store's own connection setup, to read per-connection pragmas back;
// SQLiteCpp to look at the tables the way another process would.
#include <SQLiteCpp/SQLiteCpp.h>

#include "common/embedded.h"
#include "keywarden/crypto.h"
#include "keywarden/store.h"
#include "store/connection.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace keywarden {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

int Mode(const fs::path& file) {
  struct stat st{};
  if (stat(file.c_str(), &st) != 0) return -1;
  return st.st_mode & 0777;
}

// Counts occurrences of `needle` in the raw bytes of `file` (0 if absent).
int CountBytes(const fs::path& file, const std::string& needle) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int count = 0;
  for (size_t at = bytes.find(needle); at != std::string::npos; at = bytes.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

template <class T>
std::optional<ErrorCode> CodeOf(const Result<T>& result) {
  if (result) return std::nullopt;
  return result.error().code;
}

class UmaskScope {
 public:
  explicit UmaskScope(mode_t mask) : old_(umask(mask)) {}
  ~UmaskScope() { umask(old_); }

 private:
  mode_t old_;
};

Bytes ToBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

Slot MakeSlot(std::string env, std::string name, uint32_t owner = 1000) {
  Slot slot;
  slot.ref = {std::move(env), std::move(name)};
  slot.provider = "openrouter";
  slot.endpoint = "default";
  slot.models = {"openai/gpt-4o-mini", "anthropic/claude-3.5-haiku"};
  slot.probe = "list";
  slot.policy = {.rotate_every = 30 * 86400, .remind_before = 3 * 86400, .grace = 86400};
  slot.owner_uid = owner;
  slot.created_at = 1700000000;
  return slot;
}

NewVersion MakeVersion(std::string uuid, std::string_view envelope = "sealed-bytes") {
  NewVersion version;
  version.uuid = std::move(uuid);
  version.seal = [bytes = ToBytes(envelope)](const RowBinding&) { return bytes; };
  version.data_key_version = 3;
  version.mask = "sk-or-v1-…cdef";
  version.fingerprint = "kfp:0123456789abcdef";
  version.diagnoses = {{"whitespace_trimmed", "removed a trailing newline"}};
  version.created_at = 1700000001;
  version.next_check_at = 1700000060;
  return version;
}

Event MakeEvent(std::string action, std::string ref, int64_t at, uint32_t uid = 1000,
                std::optional<uint32_t> owner = 1000) {
  Event event;
  event.at = at;
  event.uid = uid;
  event.owner_uid = owner;
  event.action = std::move(action);
  event.ref = std::move(ref);
  event.version = 1;
  event.fingerprint = "kfp:0123456789abcdef";
  return event;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenSqliteStore(db_file());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }

  fs::path db_file() const { return dir_.path() / "keywarden.db"; }

  Slot Add(std::string env, std::string name, uint32_t owner = 1000) {
    std::string ref = env + "/" + name;
    // Unique per owner too: two owners may hold the same ref.
    std::string uuid = "uuid-" + ref + (owner == 1000 ? "" : "-" + std::to_string(owner));
    auto added = store_->AddSlot(MakeSlot(env, name, owner), MakeVersion(uuid),
                                 MakeEvent("add", ref, 100, owner, owner));
    EXPECT_TRUE(added) << added.error().message;
    return added.value_or(Slot{});
  }

  // The envelope of version row `id`, read with slot `key`.
  Result<SealedSecret> Sealed(const SlotKey& key, int64_t id) {
    auto read = store_->GetSlotAndSealed(key, [id](const Slot&) -> Result<int64_t> { return id; });
    if (!read) return std::unexpected(read.error());
    return std::move(read->second);
  }

  // A second connection, as another process would see the file.
  SQLite::Database Raw() const {
    SQLite::Database db(db_file(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    return db;
  }

  int64_t RawCount(const std::string& table) const {
    return Raw().execAndGet("SELECT COUNT(*) FROM " + table).getInt64();
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

// --- opening and migrations ---

TEST(StoreOpenTest, NewDatabaseGetsEveryMigration) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "kw.db");
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_GE(LatestSchemaVersion(), 1);
  SQLite::Database raw(dir.path() / "kw.db");
  EXPECT_EQ(raw.execAndGet("PRAGMA user_version").getInt(), LatestSchemaVersion());
  for (const char* table : {"meta", "data_keys", "slots", "versions", "checks", "events"}) {
    EXPECT_TRUE(raw.tableExists(table)) << table;
  }
}

TEST(StoreOpenTest, SchemaTwoChecksSurviveTheirTableRebuild) {
  TempDir dir;
  {
    SQLite::Database raw(dir.path() / "kw.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const embedded::Migration& m : embedded::Migrations()) {
      if (m.number <= 2) raw.exec(std::string(m.sql));
    }
    raw.exec("PRAGMA user_version = 2");
    raw.exec(
        "INSERT INTO slots (id, env, name, provider, endpoint, models, rotate_every, "
        "remind_before, grace, owner_uid, current_version, created_at) VALUES (1, 'dev', 'ds', "
        "'deepseek', 'default', '[\"deepseek-chat\"]', 100, 10, 5, 1000, 1, 1700000000)");
    raw.exec(
        "INSERT INTO versions (id, slot_id, number, uuid, state, envelope, data_key_version, "
        "mask, fingerprint, created_at, verified_at) VALUES (7, 1, 1, 'u', 'verified', x'00', 1, "
        "'sk-…abcd', 'kfp:1', 1700000000, 1700000100)");
    raw.exec(
        "INSERT INTO checks VALUES (7, 'deepseek-chat', 'ok', 200, '', 1700000100), "
        "(7, '', 'ok', 200, 'balance', 1700000099)");
  }
  auto store = OpenSqliteStore(dir.path() / "kw.db");
  ASSERT_TRUE(store) << store.error().message;
  auto slot = (*store)->GetSlot({1000, {"dev", "ds"}});
  ASSERT_TRUE(slot) << slot.error().message;
  const std::vector<Check>& checks = slot->versions.at(0).checks;
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].model, "");
  EXPECT_EQ(checks[0].detail, "balance");
  EXPECT_EQ(checks[1].model, "deepseek-chat");
  EXPECT_EQ(checks[1].checked_at, 1700000100);
  store->reset();
  SQLite::Database raw(dir.path() / "kw.db", SQLite::OPEN_READWRITE);
  EXPECT_EQ(raw.execAndGet("PRAGMA user_version").getInt(), LatestSchemaVersion());
  EXPECT_NE(raw.execAndGet("SELECT sql FROM sqlite_master WHERE name = 'checks'")
                .getString()
                .find("WITHOUT ROWID"),
            std::string::npos);
  // The cascade from slots through versions still reaches the rebuilt table.
  raw.exec("PRAGMA foreign_keys = ON");
  raw.exec("DELETE FROM slots");
  EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM checks").getInt(), 0);
}

TEST(StoreOpenTest, SchemaFourKeepsEverySlotAndMakesNamesPerOwner) {
  TempDir dir;
  {
    SQLite::Database raw(dir.path() / "kw.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const embedded::Migration& m : embedded::Migrations()) {
      if (m.number <= 3) raw.exec(std::string(m.sql));
    }
    raw.exec("PRAGMA user_version = 3");
    raw.exec(
        "INSERT INTO slots (id, env, name, provider, endpoint, models, rotate_every, "
        "remind_before, grace, owner_uid, current_version, created_at, next_reminder_at) VALUES "
        "(5, 'dev', 'ds', 'deepseek', 'default', '[\"deepseek-chat\"]', 100, 10, 5, 1000, 1, "
        "1700000000, 1700000050)");
    raw.exec(
        "INSERT INTO versions (id, slot_id, number, uuid, state, envelope, data_key_version, "
        "mask, fingerprint, created_at, verified_at) VALUES (7, 5, 1, 'u', 'verified', x'00', 1, "
        "'sk-…abcd', 'kfp:1', 1700000000, 1700000100)");
    raw.exec("INSERT INTO checks VALUES (7, 'deepseek-chat', 'ok', 200, '', 1700000100)");
  }
  auto store = OpenSqliteStore(dir.path() / "kw.db");
  ASSERT_TRUE(store) << store.error().message;
  auto slot = (*store)->GetSlot({1000, {"dev", "ds"}});
  ASSERT_TRUE(slot) << slot.error().message;
  EXPECT_EQ(slot->id, 5);
  EXPECT_EQ(slot->current_version, 1);
  ASSERT_EQ(slot->versions.size(), 1u);
  EXPECT_EQ(slot->versions[0].checks.size(), 1u);
  EXPECT_EQ((*store)->NextReminderAt().value(), 1700000050);
  // The same ref is free for another owner, still taken for its own.
  Slot other = MakeSlot("dev", "ds", 1001);
  EXPECT_TRUE((*store)->AddSlot(other, MakeVersion("u2"), MakeEvent("add", "dev/ds", 1, 1001)));
  Slot again = MakeSlot("dev", "ds", 1000);
  EXPECT_EQ(CodeOf((*store)->AddSlot(again, MakeVersion("u3"), MakeEvent("add", "dev/ds", 1))),
            ErrorCode::kAlreadyExists);
  store->reset();
  SQLite::Database raw(dir.path() / "kw.db", SQLite::OPEN_READWRITE);
  EXPECT_EQ(raw.execAndGet("PRAGMA user_version").getInt(), LatestSchemaVersion());
  EXPECT_FALSE(SQLite::Statement(raw, "PRAGMA foreign_key_check").executeStep());
  // The cascade from the rebuilt slots through versions to checks holds.
  raw.exec("PRAGMA foreign_keys = ON");
  raw.exec("DELETE FROM slots");
  EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM versions").getInt(), 0);
  EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM checks").getInt(), 0);
}

TEST_F(StoreTest, ReopeningAppliesNothingAndKeepsData) {
  Add("dev", "openrouter");
  const int schema_version = Raw().execAndGet("PRAGMA schema_version").getInt();
  store_.reset();

  auto reopened = OpenSqliteStore(db_file());
  ASSERT_TRUE(reopened) << reopened.error().message;
  // Any DDL, even a re-run migration, would bump schema_version.
  EXPECT_EQ(Raw().execAndGet("PRAGMA schema_version").getInt(), schema_version);
  EXPECT_EQ(Raw().execAndGet("PRAGMA user_version").getInt(), LatestSchemaVersion());
  auto slot = (*reopened)->GetSlot({1000, {"dev", "openrouter"}});
  ASSERT_TRUE(slot) << slot.error().message;
  EXPECT_EQ(slot->versions.size(), 1u);
}

TEST_F(StoreTest, DatabaseFromNewerKeywardenIsRefused) {
  store_.reset();
  const int future = LatestSchemaVersion() + 1;
  Raw().exec("PRAGMA user_version = " + std::to_string(future));

  auto reopened = OpenSqliteStore(db_file());
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::kIo);
  EXPECT_NE(reopened.error().hint.find("upgrade keywarden"), std::string::npos);
  EXPECT_EQ(Raw().execAndGet("PRAGMA user_version").getInt(), future);
}

TEST(StoreOpenTest, ConnectionHasDurabilityPragmas) {
  TempDir dir;
  auto db = store::OpenDatabase(dir.path() / "kw.db");
  ASSERT_TRUE(db) << db.error().message;
  auto pragma = [&](const std::string& name) {
    return (*db)->execAndGet("PRAGMA " + name).getString();
  };
  EXPECT_EQ(pragma("journal_mode"), "wal");
  EXPECT_EQ(pragma("synchronous"), "2");
  EXPECT_EQ(pragma("foreign_keys"), "1");
  EXPECT_EQ(pragma("secure_delete"), "1");
  EXPECT_EQ(pragma("busy_timeout"), "5000");
}

TEST(StoreOpenTest, UnsyncedServedEventsLeaveTheConnectionFullySynced) {
  TempDir dir;
  auto db = store::OpenDatabase(dir.path() / "kw.db");
  ASSERT_TRUE(db) << db.error().message;
  SQLite::Database* connection = db->get();
  store::SqliteStore store(std::move(*db));
  auto served = store.ServeBatch({}, Durability::kUnsynced);
  ASSERT_TRUE(served) << served.error().message;
  EXPECT_EQ(connection->execAndGet("PRAGMA synchronous").getInt(), 2);
  EXPECT_TRUE(store.SyncLog());
}

// Whether this process has `file` mapped into memory.
bool Mapped(const fs::path& file) {
  std::ifstream maps("/proc/self/maps");
  const std::string name = " " + file.string();
  for (std::string line; std::getline(maps, line);) {
    if (line.ends_with(name)) return true;
  }
  return false;
}

TEST(StoreOpenTest, OverlappingLongWalksKeepTheWideCacheUntilTheLastEnds) {
  TempDir dir;
  const fs::path file = dir.path() / "kw.db";
  {
    // Closed, so that the slot is in the database file, not in the WAL
    // (pages in the WAL are read from it, never mapped).
    auto writer = OpenSqliteStore(file);
    ASSERT_TRUE(writer) << writer.error().message;
    ASSERT_TRUE((*writer)->AddSlot(MakeSlot("dev", "a"), MakeVersion("uuid-a"),
                                   MakeEvent("add", "dev/a", 1)));
  }
  auto db = store::OpenDatabase(file);
  ASSERT_TRUE(db) << db.error().message;
  SQLite::Database* connection = db->get();
  store::SqliteStore store(std::move(*db));
  const auto cache_size = [&] { return connection->execAndGet("PRAGMA cache_size").getInt(); };
  const auto mmap_size = [&] { return connection->execAndGet("PRAGMA mmap_size").getInt64(); };
  // A list reads every slot; while the cache is wide, that maps the file.
  const auto walk = [&] {
    int visited = 0;
    Status read = store.ForEachSlot({}, [&](const Slot&) -> Status {
      ++visited;
      return {};
    });
    EXPECT_TRUE(read) << read.error().message;
    EXPECT_EQ(visited, 1);
  };
  const int narrow = cache_size();
  ASSERT_EQ(mmap_size(), 0);
  walk();
  ASSERT_FALSE(Mapped(file));

  std::unique_ptr<LongWalk> first = store.BeginLongWalk();
  std::unique_ptr<LongWalk> second = store.BeginLongWalk();
  walk();
  EXPECT_LT(cache_size(), narrow);  // negative: KiB, and more of them
  EXPECT_GT(mmap_size(), 0);
  EXPECT_TRUE(Mapped(file));

  first.reset();  // the second list still walks
  walk();
  EXPECT_LT(cache_size(), narrow);
  EXPECT_GT(mmap_size(), 0);
  EXPECT_TRUE(Mapped(file));

  second.reset();  // the last one restores the cache and maps nothing
  EXPECT_EQ(cache_size(), narrow);
  EXPECT_EQ(mmap_size(), 0);
  EXPECT_FALSE(Mapped(file));
  walk();
  EXPECT_FALSE(Mapped(file));

  // A walk after all of them widens again.
  std::unique_ptr<LongWalk> third = store.BeginLongWalk();
  walk();
  EXPECT_TRUE(Mapped(file));
  third.reset();
  EXPECT_FALSE(Mapped(file));
}

TEST(StoreOpenTest, FilesAreOwnerOnlyWhateverTheUmask) {
  TempDir dir;
  const fs::path file = dir.path() / "kw.db";
  UmaskScope umask_scope(022);
  {
    auto store = OpenSqliteStore(file);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->AppendEvent(MakeEvent("add", "dev/x", 1)));
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const fs::path path = file.string() + suffix;
      ASSERT_TRUE(fs::exists(path)) << path;
      EXPECT_EQ(Mode(path), 0600) << path;
    }
  }
}

TEST(StoreOpenTest, ExistingLooseFileIsTightened) {
  TempDir dir;
  const fs::path file = dir.path() / "kw.db";
  {
    ASSERT_TRUE(OpenSqliteStore(file));
  }
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  auto store = OpenSqliteStore(file);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(Mode(file), 0600);
}

TEST(StoreOpenTest, GarbageFileIsIntegrityError) {
  TempDir dir;
  const fs::path file = dir.path() / "kw.db";
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 8192; ++i) out.put(static_cast<char>((i * 7919) % 251));
  }
  auto store = OpenSqliteStore(file);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(store.error().message.find(file.string()), std::string::npos) << store.error().message;
}

TEST_F(StoreTest, DamagedPageIsIntegrityError) {
  Raw().exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
      "INSERT INTO events (at, uid, action, detail) SELECT i, 0, 'add', printf('%0200d', i) "
      "FROM n");
  store_.reset();  // the last connection to close checkpoints the WAL away
  int page_size = 0;
  int page_count = 0;
  {
    SQLite::Database raw = Raw();
    page_size = raw.execAndGet("PRAGMA page_size").getInt();
    page_count = raw.execAndGet("PRAGMA page_count").getInt();
  }
  ASSERT_FALSE(fs::exists(db_file().string() + "-wal"));
  {
    // Stamp garbage over a page in the middle: an events leaf.
    std::fstream out(db_file(), std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(static_cast<std::streamoff>(page_count / 2) * page_size);
    for (int i = 0; i < page_size; ++i) out.put('\xa5');
  }
  auto store = OpenSqliteStore(db_file());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kIntegrity) << store.error().message;
}

// --- slots ---

TEST_F(StoreTest, AddedSlotReadsBackWithVersionModelsAndDiagnoses) {
  const Slot added = Add("dev", "openrouter");
  auto got = store_->GetSlot({1000, {"dev", "openrouter"}});
  ASSERT_TRUE(got) << got.error().message;
  for (const Slot* slot : {&added, static_cast<const Slot*>(&*got)}) {
    const Slot want = MakeSlot("dev", "openrouter");
    EXPECT_GT(slot->id, 0);
    EXPECT_EQ(slot->ref, want.ref);
    EXPECT_EQ(slot->provider, want.provider);
    EXPECT_EQ(slot->endpoint, want.endpoint);
    EXPECT_EQ(slot->models, want.models);
    EXPECT_EQ(slot->probe, "list");
    EXPECT_EQ(slot->policy.rotate_every, want.policy.rotate_every);
    EXPECT_EQ(slot->policy.remind_before, want.policy.remind_before);
    EXPECT_EQ(slot->policy.grace, want.policy.grace);
    EXPECT_EQ(slot->owner_uid, 1000u);
    EXPECT_EQ(slot->created_at, want.created_at);
    EXPECT_EQ(slot->current_version, std::nullopt);
    EXPECT_EQ(slot->pending_version, 1);
    ASSERT_EQ(slot->versions.size(), 1u);
    const Version& v = slot->versions[0];
    const NewVersion first = MakeVersion("uuid-dev/openrouter");
    EXPECT_GT(v.id, 0);
    EXPECT_EQ(v.number, 1);
    EXPECT_EQ(v.uuid, first.uuid);
    EXPECT_EQ(v.state, VersionState::kPending);
    EXPECT_EQ(v.mask, first.mask);
    EXPECT_EQ(v.fingerprint, first.fingerprint);
    EXPECT_EQ(v.data_key_version, 3u);
    EXPECT_EQ(v.created_at, first.created_at);
    EXPECT_EQ(v.next_check_at, first.next_check_at);
    EXPECT_EQ(v.verified_at, std::nullopt);
    EXPECT_EQ(v.diagnoses, first.diagnoses);
    EXPECT_TRUE(v.checks.empty());
  }
}

TEST_F(StoreTest, AddRecordsItsEvent) {
  Add("dev", "openrouter");
  auto events = store_->ListEvents({});
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].action, "add");
  EXPECT_EQ((*events)[0].ref, "dev/openrouter");
  EXPECT_EQ((*events)[0].owner_uid, 1000u);
  EXPECT_EQ((*events)[0].version, 1);
}

TEST_F(StoreTest, AddingATakenRefIsAlreadyExistsAndChangesNothing) {
  Add("dev", "openrouter");
  auto again = store_->AddSlot(MakeSlot("dev", "openrouter"), MakeVersion("another-uuid"),
                               MakeEvent("add", "dev/openrouter", 200));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(RawCount("versions"), 1);
  EXPECT_EQ(RawCount("events"), 1);
}

TEST_F(StoreTest, NamesArePerOwnerAndEachKeyReachesOnlyItsOwnersSlot) {
  const Slot a = Add("dev", "openrouter", 1000);
  const Slot b = Add("dev", "openrouter", 1001);
  EXPECT_NE(a.id, b.id);
  // Each owner's key finds that owner's slot; a third owner's finds none.
  EXPECT_EQ(store_->GetSlot({1000, {"dev", "openrouter"}})->id, a.id);
  EXPECT_EQ(store_->GetSlot({1001, {"dev", "openrouter"}})->id, b.id);
  EXPECT_EQ(CodeOf(store_->GetSlot({1002, {"dev", "openrouter"}})), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(store_->Revoke({1002, {"dev", "openrouter"}}, 1, MakeEvent("revoke", "", 1))),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(store_->AddVersion({1002, {"dev", "openrouter"}}, MakeVersion("u"),
                                      MakeEvent("rotate", "", 1))),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(store_->RemoveSlot({1002, {"dev", "openrouter"}}, MakeEvent("rm", "", 1))),
            ErrorCode::kNotFound);

  // A batch serving both reads each owner's own slot (no shared cache entry).
  std::vector<int64_t> served_ids;
  auto request = [&](const Slot& slot) {
    return ServeRequest{slot.key(), [&](const Slot& s, const SealedSecret*) -> Result<Event> {
                          served_ids.push_back(s.id);
                          return MakeEvent("get", s.ref.str(), 400, s.owner_uid, s.owner_uid);
                        }};
  };
  ASSERT_TRUE(store_->ServeBatch({request(a), request(b), request(a)}, Durability::kSynced));
  EXPECT_EQ(served_ids, (std::vector<int64_t>{a.id, b.id, a.id}));

  // Removing one owner's slot leaves the other's.
  ASSERT_TRUE(store_->RemoveSlot(a.key(), MakeEvent("rm", "dev/openrouter", 500)));
  EXPECT_EQ(CodeOf(store_->GetSlot(a.key())), ErrorCode::kNotFound);
  auto left = store_->GetSlot(b.key());
  ASSERT_TRUE(left) << left.error().message;
  EXPECT_EQ(left->versions.size(), 1u);
}

TEST_F(StoreTest, PagesOfEveryOwnerMissNoSlotOfASharedRef) {
  for (uint32_t owner : {1002u, 1000u, 1001u}) {
    Add("dev", "x", owner);
    Add("dev", "y", owner);
    Add("prod", "x", owner);
  }
  for (std::optional<std::string> env :
       {std::optional<std::string>(), std::optional<std::string>("dev")}) {
    // One slot a page, as slot.list walks: the cursor must tell owners apart.
    std::vector<std::string> walked;
    SlotFilter filter{.env = env, .limit = 1};
    for (int page = 0; page < 20; ++page) {
      int in_page = 0;
      ASSERT_TRUE(store_->ForEachSlot(filter, [&](const Slot& slot) -> Status {
        walked.push_back(std::to_string(slot.owner_uid) + ":" + slot.ref.str());
        filter.after = slot.key();
        ++in_page;
        return {};
      }));
      if (in_page == 0) break;
    }
    std::vector<std::string> want = {"1000:dev/x", "1001:dev/x", "1002:dev/x",
                                     "1000:dev/y", "1001:dev/y", "1002:dev/y"};
    if (!env) {
      for (const char* more : {"1000:prod/x", "1001:prod/x", "1002:prod/x"}) want.push_back(more);
    }
    EXPECT_EQ(walked, want) << env.value_or("every env");
  }
}

TEST_F(StoreTest, AddingAnInvalidRefIsInvalidArgument) {
  auto added = store_->AddSlot(MakeSlot("Dev", "x y"), MakeVersion("u"), MakeEvent("add", "", 1));
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(RawCount("slots"), 0);
}

TEST_F(StoreTest, GettingAMissingSlotIsNotFound) {
  auto got = store_->GetSlot({1000, {"dev", "nothing"}});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, SlotCarriesTheChecksOfEachVersionByModel) {
  const Slot slot = Add("dev", "openrouter");
  const int64_t version_id = slot.versions.at(0).id;
  Raw().exec("INSERT INTO checks VALUES (" + std::to_string(version_id) +
             ", 'openai/gpt-4o-mini', 'denied', 403, 'no access', 50), (" +
             std::to_string(version_id) + ", '', 'ok', 200, '', 40)");
  auto got = store_->GetSlot(slot.key());
  ASSERT_TRUE(got) << got.error().message;
  const auto& checks = got->versions.at(0).checks;
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].model, "");
  EXPECT_EQ(checks[0].outcome, Outcome::kOk);
  EXPECT_EQ(checks[1].model, "openai/gpt-4o-mini");
  EXPECT_EQ(checks[1].outcome, Outcome::kDenied);
  EXPECT_EQ(checks[1].http_status, 403);
  EXPECT_EQ(checks[1].detail, "no access");
  EXPECT_EQ(checks[1].checked_at, 50);
}

TEST_F(StoreTest, ListSlotsOrdersByEnvThenNameAndFilters) {
  Add("prod", "mistral", 1001);
  Add("dev", "openrouter", 1000);
  Add("dev", "codestral", 1001);
  auto all = store_->ListSlots({});
  ASSERT_TRUE(all) << all.error().message;
  std::vector<std::string> refs;
  for (const Slot& s : *all) refs.push_back(s.ref.str());
  EXPECT_EQ(refs, (std::vector<std::string>{"dev/codestral", "dev/openrouter", "prod/mistral"}));

  auto dev = store_->ListSlots({.env = "dev"});
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->size(), 2u);
  auto mine = store_->ListSlots({.owner_uid = 1001});
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].ref.str(), "dev/codestral");
  EXPECT_EQ((*mine)[1].ref.str(), "prod/mistral");
  auto both = store_->ListSlots({.env = "prod", .owner_uid = 1000});
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->empty());
}

TEST_F(StoreTest, ListSlotsJoinsVersionsAndChecksOfThousandsOfSlots) {
  constexpr int kSlots = 2000;
  {
    // Bulk rows straight into the file: thousands of AddSlot commits would
    // each wait for fsync. Every third slot gets a second version and each
    // version a check naming its slot, so a mis-join shows.
    SQLite::Database raw = Raw();
    SQLite::Transaction tx(raw);
    for (int i = 0; i < kSlots; ++i) {
      const std::string n = std::to_string(i);
      raw.exec(
          "INSERT INTO slots (id, env, name, provider, endpoint, models, rotate_every, "
          "remind_before, grace, owner_uid, pending_version, created_at) VALUES (" +
          std::to_string(i + 1) + ", 'bulk', 's" + n +
          "', 'mistral', 'default', '[\"m\"]', 1, 1, 1, 7, 1, 0)");
      const int versions = i % 3 == 0 ? 2 : 1;
      for (int v = 1; v <= versions; ++v) {
        raw.exec(
            "INSERT INTO versions (slot_id, number, uuid, state, envelope, "
            "data_key_version, mask, fingerprint, created_at) VALUES (" +
            std::to_string(i + 1) + ", " + std::to_string(v) + ", 'u" + n + "-" +
            std::to_string(v) + "', '" + (v == 1 ? "retired" : "pending") +
            "', x'00', 1, 'm', 'f', 0)");
        raw.exec("INSERT INTO checks VALUES (last_insert_rowid(), 'm', 'ok', 200, 's" + n +
                 "', 0)");
      }
    }
    tx.commit();
  }
  auto slots = store_->ListSlots({});
  ASSERT_TRUE(slots) << slots.error().message;
  ASSERT_EQ(slots->size(), static_cast<size_t>(kSlots));
  int versions = 0;
  for (const Slot& slot : *slots) {
    const int i = std::stoi(slot.ref.name.substr(1));
    ASSERT_EQ(slot.versions.size(), i % 3 == 0 ? 2u : 1u) << slot.ref.str();
    for (size_t v = 0; v < slot.versions.size(); ++v) {
      const Version& version = slot.versions[v];
      EXPECT_EQ(version.number, static_cast<int>(v) + 1);
      EXPECT_EQ(version.uuid, "u" + std::to_string(i) + "-" + std::to_string(v + 1));
      ASSERT_EQ(version.checks.size(), 1u);
      EXPECT_EQ(version.checks[0].detail, slot.ref.name);
      ++versions;
    }
  }
  EXPECT_EQ(versions, kSlots + (kSlots + 2) / 3);
}

TEST_F(StoreTest, RemoveDeletesVersionsAndChecksButKeepsEvents) {
  const Slot slot = Add("dev", "openrouter");
  Raw().exec("INSERT INTO checks VALUES (" + std::to_string(slot.versions.at(0).id) +
             ", '', 'ok', 200, '', 40)");
  ASSERT_TRUE(store_->RemoveSlot(slot.key(), MakeEvent("rm", "dev/openrouter", 300)));

  EXPECT_EQ(CodeOf(store_->GetSlot(slot.key())), ErrorCode::kNotFound);
  EXPECT_EQ(RawCount("versions"), 0);
  EXPECT_EQ(RawCount("checks"), 0);
  auto events = store_->ListEvents({.ref = "dev/openrouter"});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].action, "add");
  EXPECT_EQ((*events)[1].action, "rm");
}

TEST_F(StoreTest, RemovingAMissingSlotIsNotFoundAndRecordsNothing) {
  auto removed = store_->RemoveSlot({1000, {"dev", "nothing"}}, MakeEvent("rm", "dev/nothing", 1));
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(RawCount("events"), 0);
}

TEST_F(StoreTest, UpdateSlotChangesSettingsInPlaceAndSchedulesWhatItNames) {
  const Slot slot = Add("dev", "x");
  Raw().exec("UPDATE versions SET next_check_at = 5000, check_attempts = 3");
  SlotChange change;
  change.models = std::vector<std::string>{"deepseek/deepseek-chat"};
  change.endpoint = "https://openrouter.example/api/v1";
  change.probe = "complete";
  change.policy = RotationPolicy{.rotate_every = 10 * 86400, .remind_before = 86400, .grace = 60};
  change.recheck = {slot.versions.at(0).id};
  change.recheck_at = 1234;
  change.next_reminder_at = std::optional<int64_t>(777);
  Event event = MakeEvent("set", "dev/x", 200);
  event.detail = "probe list -> complete";
  Result<Slot> updated = store_->UpdateSlot(slot.key(), change, event);
  ASSERT_TRUE(updated) << updated.error().message;

  Result<Slot> got = store_->GetSlot(slot.key());
  ASSERT_TRUE(got);
  for (const Slot* s : {&*updated, &*got}) {
    EXPECT_EQ(s->id, slot.id);
    EXPECT_EQ(s->models, *change.models);
    EXPECT_EQ(s->endpoint, *change.endpoint);
    EXPECT_EQ(s->probe, "complete");
    EXPECT_EQ(s->policy.rotate_every, 10 * 86400);
    EXPECT_EQ(s->policy.remind_before, 86400);
    EXPECT_EQ(s->policy.grace, 60);
    ASSERT_EQ(s->versions.size(), 1u) << "versions are kept";
    EXPECT_EQ(s->versions[0].uuid, slot.versions[0].uuid);
    EXPECT_EQ(s->versions[0].next_check_at, 1234);
    EXPECT_EQ(s->versions[0].check_attempts, 0);
  }
  EXPECT_EQ(Raw().execAndGet("SELECT next_reminder_at FROM slots").getInt64(), 777);
  auto events = store_->ListEvents({.ref = "dev/x"});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].action, "set");
  EXPECT_EQ((*events)[1].detail, "probe list -> complete");

  // A change that names nothing else keeps every other setting and the schedule.
  SlotChange grace_only;
  grace_only.policy =
      RotationPolicy{.rotate_every = 10 * 86400, .remind_before = 86400, .grace = 5};
  Result<Slot> again = store_->UpdateSlot(slot.key(), grace_only, MakeEvent("set", "dev/x", 300));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->models, *change.models);
  EXPECT_EQ(again->endpoint, *change.endpoint);
  EXPECT_EQ(again->policy.grace, 5);
  EXPECT_EQ(again->versions[0].next_check_at, 1234);
  EXPECT_EQ(Raw().execAndGet("SELECT next_reminder_at FROM slots").getInt64(), 777);
}

TEST_F(StoreTest, UpdatingAMissingSlotOrWithABadProbeChangesNothing) {
  const Slot slot = Add("dev", "x");
  SlotChange change;
  change.endpoint = "codestral";
  EXPECT_EQ(
      CodeOf(store_->UpdateSlot({1000, {"dev", "none"}}, change, MakeEvent("set", "dev/none", 1))),
      ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(store_->UpdateSlot({1001, {"dev", "x"}}, change, MakeEvent("set", "dev/x", 1))),
            ErrorCode::kNotFound)
      << "another owner's slot of the same ref";
  change.probe = "everything";
  EXPECT_EQ(CodeOf(store_->UpdateSlot(slot.key(), change, MakeEvent("set", "dev/x", 1))),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->GetSlot(slot.key())->endpoint, "default");
  EXPECT_EQ(RawCount("events"), 1);
}

TEST_F(StoreTest, RemovedEnvelopeLeavesNoBytesInTheFiles) {
  const std::string canary = "kw-CANARY-5f3a9c";
  auto added = store_->AddSlot(MakeSlot("dev", "canary"), MakeVersion("uuid-c", canary),
                               MakeEvent("add", "dev/canary", 1));
  ASSERT_TRUE(added) << added.error().message;
  const fs::path wal = db_file().string() + "-wal";
  ASSERT_GT(CountBytes(db_file(), canary) + CountBytes(wal, canary), 0);

  ASSERT_TRUE(store_->RemoveSlot({1000, {"dev", "canary"}}, MakeEvent("rm", "dev/canary", 2)));
  EXPECT_EQ(CountBytes(db_file(), canary), 0);
  EXPECT_EQ(CountBytes(wal, canary), 0);
}

// --- sealed secrets ---

TEST_F(StoreTest, SealedSecretComesWithTheBindingOfItsRow) {
  const Slot slot = Add("dev", "openrouter");
  auto sealed = Sealed(slot.key(), slot.versions.at(0).id);
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_EQ(sealed->envelope, ToBytes("sealed-bytes"));
  EXPECT_EQ(sealed->binding.version_uuid, "uuid-dev/openrouter");
  EXPECT_EQ(sealed->binding.slot_ref, "dev/openrouter");
  EXPECT_EQ(sealed->binding.provider, "openrouter");
  EXPECT_EQ(sealed->binding.data_key_version, 3u);
}

TEST_F(StoreTest, EditedProviderColumnMakesTheSecretFailToOpen) {
  const SecretBuffer key = RandomKey();
  NewVersion version = MakeVersion("uuid-1");
  version.seal = [&key](const RowBinding& row) { return SealSecret(key, "sk-or-v1-secret", row); };
  auto added = store_->AddSlot(MakeSlot("dev", "openrouter"), version,
                               MakeEvent("add", "dev/openrouter", 1));
  ASSERT_TRUE(added) << added.error().message;
  const int64_t id = added->versions.at(0).id;

  auto sealed = Sealed(added->key(), id);
  ASSERT_TRUE(sealed);
  auto opened = OpenSecret(key, sealed->envelope, sealed->binding);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->view(), "sk-or-v1-secret");

  Raw().exec("UPDATE slots SET provider = 'mistral'");
  sealed = Sealed(added->key(), id);
  ASSERT_TRUE(sealed);
  opened = OpenSecret(key, sealed->envelope, sealed->binding);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kIntegrity);
}

TEST_F(StoreTest, ModelsAndDiagnosesColumnsReadInEveryShape) {
  Add("dev", "openrouter");
  SQLite::Database raw = Raw();
  const struct {
    std::string models;  // as stored
    std::vector<std::string> want;
  } cases[] = {
      {R"([])", {}},
      {R"(["a"])", {"a"}},
      {R"(["deepseek/deepseek-chat","x:free"])", {"deepseek/deepseek-chat", "x:free"}},
      {R"([ "spaced" , "b" ])", {"spaced", "b"}},  // not the written form
      {R"(["quote \" in","\u00e9t\u00e9"])", {"quote \" in", "\u00e9t\u00e9"}},
      {"[\"caf\u00c3\u00a9\"]", {"caf\u00c3\u00a9"}},  // UTF-8 bytes as stored
  };
  for (const auto& c : cases) {
    SQLite::Statement set(raw, "UPDATE slots SET models = ?");
    set.bind(1, c.models);
    set.exec();
    auto got = store_->GetSlot({1000, {"dev", "openrouter"}});
    ASSERT_TRUE(got) << c.models << ": " << got.error().message;
    EXPECT_EQ(got->models, c.want) << c.models;
  }
  for (const std::string bad : {R"(["a",])", R"(["a")", R"(["a",1])", R"({"a":1})", R"(["a\"])"}) {
    SQLite::Statement set(raw, "UPDATE slots SET models = ?");
    set.bind(1, bad);
    set.exec();
    auto got = store_->GetSlot({1000, {"dev", "openrouter"}});
    ASSERT_FALSE(got) << bad;
    EXPECT_EQ(got.error().code, ErrorCode::kIntegrity) << bad;
  }
  raw.exec(R"(UPDATE slots SET models = '["m"]')");
  raw.exec(R"(UPDATE versions SET diagnoses = '[{"code":"c","message":"m"}]')");
  auto got = store_->GetSlot({1000, {"dev", "openrouter"}});
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->versions.at(0).diagnoses.size(), 1u);
  EXPECT_EQ(got->versions.at(0).diagnoses[0].code, "c");
  raw.exec("UPDATE versions SET diagnoses = '[1]'");
  EXPECT_EQ(store_->GetSlot({1000, {"dev", "openrouter"}}).error().code, ErrorCode::kIntegrity);
}

TEST_F(StoreTest, DestroyedOrUnknownVersionIsNotFound) {
  const Slot slot = Add("dev", "openrouter");
  EXPECT_EQ(CodeOf(Sealed(slot.key(), slot.versions.at(0).id + 100)), ErrorCode::kNotFound);
  Raw().exec("UPDATE versions SET envelope = NULL");
  EXPECT_EQ(CodeOf(Sealed(slot.key(), slot.versions.at(0).id)), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Sealed({1000, {"dev", "absent"}}, slot.versions.at(0).id)),
            ErrorCode::kNotFound);
}

TEST_F(StoreTest, SlotAndSealedReturnsThePickersErrorAsItIs) {
  const Slot slot = Add("dev", "openrouter");
  int64_t seen_id = 0;
  auto read = store_->GetSlotAndSealed(slot.key(), [&](const Slot& s) -> Result<int64_t> {
    seen_id = s.id;
    return Fail(ErrorCode::kNotUsable, "not usable");
  });
  EXPECT_EQ(seen_id, slot.id);
  EXPECT_EQ(CodeOf(read), ErrorCode::kNotUsable);
}

TEST_F(StoreTest, ServeBatchRecordsAnEventForEachSecretItsServeAccepts) {
  const Slot kept = Add("dev", "kept");
  const Slot destroyed = Add("dev", "destroyed");
  const Slot refused = Add("dev", "refused");
  const Slot pending = Add("dev", "pending");
  const Slot removed = Add("dev", "removed");
  // Every slot but `pending` has version 1 current, verified, with a check;
  // `kept` also has version 2 pending.
  Raw().exec("UPDATE versions SET state = 'verified' WHERE slot_id <> " +
             std::to_string(pending.id) +
             "; UPDATE slots SET current_version = 1, pending_version = NULL WHERE id <> " +
             std::to_string(pending.id) +
             "; INSERT INTO checks (version_id, model, outcome, http_status, detail, checked_at) "
             "SELECT id, 'openai/gpt-4o-mini', 'ok', 200, '', 1700000100 FROM versions");
  ASSERT_TRUE(store_->AddVersion(kept.key(), MakeVersion("uuid-dev/kept-2", "sealed-2"),
                                 MakeEvent("rotate", "dev/kept", 200)));
  Raw().exec("UPDATE versions SET envelope = NULL WHERE id = " +
             std::to_string(destroyed.versions.at(0).id));
  ASSERT_TRUE(store_->RemoveSlot(removed.key(), MakeEvent("rm", "dev/removed", 300)));

  std::map<std::string, std::pair<Slot, std::optional<SealedSecret>>> seen;
  auto request = [&](const Slot& slot) {
    return ServeRequest{slot.key(),
                        [&](const Slot& s, const SealedSecret* sealed) -> Result<Event> {
                          seen[s.ref.str()] = {s, sealed ? std::optional(*sealed) : std::nullopt};
                          if (s.ref.name == "refused") return Fail(ErrorCode::kNotUsable, "no");
                          return MakeEvent("get", s.ref.str(), 400);
                        }};
  };
  std::vector<ServeRequest> batch;
  for (const Slot* s : {&kept, &destroyed, &refused, &pending, &removed, &kept}) {
    batch.push_back(request(*s));
  }
  auto served = store_->ServeBatch(batch, Durability::kSynced);
  ASSERT_TRUE(served) << served.error().message;
  ASSERT_EQ(served->size(), batch.size());
  std::vector<std::optional<ErrorCode>> codes;
  for (const Status& s : *served) codes.push_back(CodeOf(s));
  EXPECT_EQ(codes, (std::vector<std::optional<ErrorCode>>{std::nullopt, std::nullopt,
                                                          ErrorCode::kNotUsable, std::nullopt,
                                                          ErrorCode::kNotFound, std::nullopt}));
  EXPECT_EQ(seen.count("dev/removed"), 0u);  // no slot: serve is not called

  // A current version comes alone, with its checks and its envelope bound
  // to its row; a destroyed secret comes as none.
  const auto& [kept_slot, kept_sealed] = seen.at("dev/kept");
  ASSERT_EQ(kept_slot.versions.size(), 1u);
  EXPECT_EQ(kept_slot.versions[0].number, 1);
  EXPECT_EQ(kept_slot.pending_version, 2);
  ASSERT_EQ(kept_slot.versions[0].checks.size(), 1u);
  EXPECT_EQ(kept_slot.versions[0].checks[0].outcome, Outcome::kOk);
  EXPECT_TRUE(kept_slot.Usable());
  ASSERT_TRUE(kept_sealed);
  EXPECT_EQ(kept_sealed->envelope, ToBytes("sealed-bytes"));
  EXPECT_EQ(kept_sealed->binding.version_uuid, "uuid-dev/kept");
  EXPECT_EQ(kept_sealed->binding.slot_ref, "dev/kept");
  EXPECT_EQ(kept_sealed->binding.provider, "openrouter");
  EXPECT_EQ(kept_sealed->binding.data_key_version, 3u);
  EXPECT_FALSE(seen.at("dev/destroyed").second);
  // Without a current version the slot is whole: its newest attempt says why.
  const auto& [pending_slot, pending_sealed] = seen.at("dev/pending");
  EXPECT_FALSE(pending_sealed);
  ASSERT_EQ(pending_slot.versions.size(), 1u);
  EXPECT_FALSE(pending_slot.Usable());
  EXPECT_NE(pending_slot.UnusableReason().find("pending"), std::string::npos);

  auto gets = store_->ListEvents({.since = 400});
  ASSERT_TRUE(gets);
  std::vector<std::string> refs;
  for (const Event& e : *gets) refs.push_back(e.ref);
  EXPECT_EQ(refs,
            (std::vector<std::string>{"dev/kept", "dev/destroyed", "dev/pending", "dev/kept"}));
}

TEST_F(StoreTest, ServeBatchSeesAMissingCurrentVersionAsUnusable) {
  const Slot slot = Add("dev", "broken");
  Raw().exec("UPDATE slots SET current_version = 7, pending_version = NULL");
  bool called = false;
  auto served =
      store_->ServeBatch({{slot.key(),
                           [&](const Slot& s, const SealedSecret* sealed) -> Result<Event> {
                             called = true;
                             EXPECT_EQ(sealed, nullptr);
                             EXPECT_TRUE(s.versions.empty());
                             EXPECT_EQ(s.UnusableReason(), "current version 7 is missing");
                             return Fail(ErrorCode::kNotUsable, s.UnusableReason());
                           }}},
                         Durability::kSynced);
  ASSERT_TRUE(served);
  EXPECT_TRUE(called);
  EXPECT_EQ(CodeOf((*served)[0]), ErrorCode::kNotUsable);
}

// What ServeBatch passes to serve for `ref`: the current version's number
// and state, or the error of the read.
Result<std::pair<int, VersionState>> ServedVersion(Store& store, const SlotKey& key) {
  std::optional<std::pair<int, VersionState>> seen;
  auto served = store.ServeBatch({{key,
                                   [&](const Slot& s, const SealedSecret*) -> Result<Event> {
                                     if (s.current_version && !s.versions.empty()) {
                                       seen = {s.versions[0].number, s.versions[0].state};
                                     }
                                     return MakeEvent("get", s.ref.str(), 400);
                                   }}},
                                 Durability::kSynced);
  if (!served) return std::unexpected(served.error());
  if (!(*served)[0]) return std::unexpected((*served)[0].error());
  if (!seen) return Fail(ErrorCode::kNotUsable, "no current version");
  return *seen;
}

TEST_F(StoreTest, ServeBatchSeesEveryWriteSinceTheSlotWasLastServed) {
  const Slot slot = Add("dev", "x");
  Raw().exec(
      "UPDATE versions SET state = 'verified'; "
      "UPDATE slots SET current_version = 1, pending_version = NULL");
  auto first = ServedVersion(*store_, slot.key());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, std::pair(1, VersionState::kVerified));

  // A write through the store: the revoked version is no longer current.
  ASSERT_TRUE(store_->Revoke(slot.key(), 1, MakeEvent("revoke", "dev/x", 500)));
  EXPECT_EQ(CodeOf(ServedVersion(*store_, slot.key())), ErrorCode::kNotUsable);

  // A write by another connection, as another process would make it.
  Raw().exec("UPDATE versions SET state = 'retired'; UPDATE slots SET current_version = 1");
  auto edited = ServedVersion(*store_, slot.key());
  ASSERT_TRUE(edited) << edited.error().message;
  EXPECT_EQ(*edited, std::pair(1, VersionState::kRetired));

  ASSERT_TRUE(store_->RemoveSlot(slot.key(), MakeEvent("rm", "dev/x", 600)));
  EXPECT_EQ(CodeOf(ServedVersion(*store_, slot.key())), ErrorCode::kNotFound);
}

// --- data keys ---

TEST_F(StoreTest, WrappedDataKeyIsStoredOnceAndReadBack) {
  auto missing = store_->GetWrappedDataKey(1);
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_EQ(*missing, std::nullopt);

  ASSERT_TRUE(store_->PutWrappedDataKey(1, ToBytes("wrapped-1")));
  auto again = store_->PutWrappedDataKey(1, ToBytes("other"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);

  auto got = store_->GetWrappedDataKey(1);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, ToBytes("wrapped-1"));
  EXPECT_EQ(store_->GetWrappedDataKey(2).value(), std::nullopt);
}

// --- events ---

TEST_F(StoreTest, EventFiltersSelectByRefTimeAndOwner) {
  // uid 1000 owns dev/a; uid 0 (root) acts on it; uid 1001 owns dev/b.
  ASSERT_TRUE(store_->AppendEvent(MakeEvent("add", "dev/a", 10, 1000, 1000)));
  ASSERT_TRUE(store_->AppendEvent(MakeEvent("get", "dev/a", 20, 0, 1000)));
  ASSERT_TRUE(store_->AppendEvent(MakeEvent("add", "dev/b", 30, 1001, 1001)));
  ASSERT_TRUE(store_->AppendEvent(MakeEvent("denied_connection", "", 40, 1000, std::nullopt)));

  auto actions = [&](const EventFilter& filter) {
    std::vector<std::string> out;
    auto events = store_->ListEvents(filter);
    EXPECT_TRUE(events) << events.error().message;
    for (const Event& e : events.value_or(std::vector<Event>{})) {
      out.push_back(e.action + "@" + std::to_string(e.at));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(actions({}), (V{"add@10", "get@20", "add@30", "denied_connection@40"}));
  EXPECT_EQ(actions({.ref = "dev/a"}), (V{"add@10", "get@20"}));
  EXPECT_EQ(actions({.since = 20}), (V{"get@20", "add@30", "denied_connection@40"}));
  EXPECT_EQ(actions({.owner_uid = 1000}), (V{"add@10", "get@20", "denied_connection@40"}));
  // An event belongs to its slot's owner, not to whoever caused it: what
  // root did to dev/a is 1000's to see, and no one else's but an admin's.
  EXPECT_EQ(actions({.owner_uid = 0}), V{});
  EXPECT_EQ(actions({.limit = 2}), (V{"add@30", "denied_connection@40"}));
  EXPECT_EQ(actions({.ref = "dev/a", .since = 15, .owner_uid = 1001}), V{});
}

TEST_F(StoreTest, EventKeepsEveryField) {
  Event event = MakeEvent("get", "dev/a", 10, 0, 1000);
  event.version = std::nullopt;
  event.detail = "exported to vscode";
  ASSERT_TRUE(store_->AppendEvent(event));
  auto events = store_->ListEvents({});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  const Event& got = (*events)[0];
  EXPECT_GT(got.id, 0);
  EXPECT_EQ(got.at, 10);
  EXPECT_EQ(got.uid, 0u);
  EXPECT_EQ(got.owner_uid, 1000u);
  EXPECT_EQ(got.action, "get");
  EXPECT_EQ(got.ref, "dev/a");
  EXPECT_EQ(got.version, std::nullopt);
  EXPECT_EQ(got.fingerprint, "kfp:0123456789abcdef");
  EXPECT_EQ(got.detail, "exported to vscode");
}

// --- event retention ---

constexpr int64_t kDay = 86400;
constexpr int64_t kDay0 = 20000 * kDay;  // the start of a UTC day

// "action ref vN uid U xCOUNT @at" for each event, oldest first.
std::vector<std::string> Describe(Store& store) {
  std::vector<std::string> out;
  auto events = store.ListEvents({.limit = 0});
  EXPECT_TRUE(events) << events.error().message;
  for (const Event& e : events.value_or(std::vector<Event>{})) {
    std::string text = e.action + " " + e.ref + " v" + std::to_string(e.version.value_or(0)) +
                       " uid " + std::to_string(e.uid);
    if (e.count) text += " x" + std::to_string(*e.count);
    out.push_back(text + " @" + std::to_string(e.at));
  }
  return out;
}

TEST_F(StoreTest, TrimEventsDeletesOnlyEventsOlderThanTheCutoff) {
  for (int64_t at : {kDay0, kDay0 + 10, kDay0 + 20, kDay0 + 30}) {
    ASSERT_TRUE(store_->AppendEvent(MakeEvent("add", "dev/a", at)));
  }
  auto trimmed = store_->TrimEvents(kDay0 + 20, std::nullopt, 100);
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_EQ(trimmed->deleted, 2);
  EXPECT_EQ(trimmed->aggregated, 0);
  EXPECT_FALSE(trimmed->more);
  using V = std::vector<std::string>;
  EXPECT_EQ(Describe(*store_), (V{"add dev/a v1 uid 1000 @" + std::to_string(kDay0 + 20),
                                  "add dev/a v1 uid 1000 @" + std::to_string(kDay0 + 30)}));
}

TEST_F(StoreTest, TrimEventsFoldsServedSecretsOfWholeDaysIntoOneCountedRowEach) {
  auto append = [&](std::string action, int64_t at, uint32_t uid, int version) {
    Event e = MakeEvent(std::move(action), "dev/a", at, uid);
    e.version = version;
    ASSERT_TRUE(store_->AppendEvent(e));
  };
  for (int i = 0; i < 5; ++i) append("get", kDay0 + 100 * i, 1000, 1);   // day 0, uid 1000, v1
  append("get", kDay0 + 50, 0, 1);                                       // another uid
  append("get", kDay0 + 60, 1000, 2);                                    // another version
  append("export", kDay0 + 70, 1000, 1);                                 // another action
  append("revoke", kDay0 + 80, 1000, 1);                                 // never folded
  for (int i = 0; i < 3; ++i) append("get", kDay0 + kDay + i, 1000, 1);  // day 1
  append("get", kDay0 + 2 * kDay, 1000, 1);  // day 2: not a whole day before the cutoff

  // A cutoff inside day 2 folds days 0 and 1 only.
  auto trimmed = store_->TrimEvents(std::nullopt, kDay0 + 2 * kDay + 3600, 100);
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_EQ(trimmed->aggregated, 11);
  EXPECT_FALSE(trimmed->more);
  const std::string day0 = " @" + std::to_string(kDay0);
  const std::string day1 = " @" + std::to_string(kDay0 + kDay);
  using V = std::vector<std::string>;
  V got = Describe(*store_);
  std::sort(got.begin(), got.end());
  V want = {"export dev/a v1 uid 1000 x1" + day0,
            "get dev/a v1 uid 0 x1" + day0,
            "get dev/a v1 uid 1000 @" + std::to_string(kDay0 + 2 * kDay),
            "get dev/a v1 uid 1000 x3" + day1,
            "get dev/a v1 uid 1000 x5" + day0,
            "get dev/a v2 uid 1000 x1" + day0,
            "revoke dev/a v1 uid 1000 @" + std::to_string(kDay0 + 80)};
  EXPECT_EQ(got, want);

  // Folding again changes nothing.
  trimmed = store_->TrimEvents(std::nullopt, kDay0 + 2 * kDay + 3600, 100);
  ASSERT_TRUE(trimmed);
  EXPECT_EQ(trimmed->aggregated, 0);
  got = Describe(*store_);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
}

TEST_F(StoreTest, TrimEventsWorksInBatchesAndFinishesADayIntoTheSameRow) {
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(store_->AppendEvent(MakeEvent("get", "dev/a", kDay0 + i)));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->AppendEvent(MakeEvent("add", "dev/b", i)));
  int steps = 0, deleted = 0, aggregated = 0;
  for (bool more = true; more; ++steps) {
    ASSERT_LT(steps, 10);
    auto trimmed = store_->TrimEvents(kDay0, kDay0 + kDay, 3);
    ASSERT_TRUE(trimmed) << trimmed.error().message;
    deleted += trimmed->deleted;
    aggregated += trimmed->aggregated;
    more = trimmed->more;
  }
  EXPECT_EQ(steps, 3);  // 3 + 3 + 1 folded
  EXPECT_EQ(deleted, 5);
  EXPECT_EQ(aggregated, 7);
  EXPECT_EQ(Describe(*store_),
            std::vector<std::string>{"get dev/a v1 uid 1000 x7 @" + std::to_string(kDay0)});
  // The folded day is deleted with the others once it is older than keep.
  auto trimmed = store_->TrimEvents(kDay0 + 1, std::nullopt, 3);
  ASSERT_TRUE(trimmed);
  EXPECT_EQ(trimmed->deleted, 1);
  EXPECT_TRUE(Describe(*store_).empty());
}

// --- counts ---

TEST_F(StoreTest, CountsSlotsStatesAndNextCheckPerOwner) {
  auto empty = store_->Counts(std::nullopt);
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(empty->slots, 0);
  EXPECT_TRUE(empty->versions_by_state.empty());
  EXPECT_EQ(empty->next_check_at, std::nullopt);

  Add("dev", "a", 1000);
  Add("dev", "b", 1000);
  Add("dev", "c", 1001);
  Raw().exec(
      "UPDATE versions SET state = 'verified', next_check_at = 500 WHERE uuid = 'uuid-dev/a'");
  Raw().exec("UPDATE versions SET next_check_at = 300 WHERE uuid = 'uuid-dev/c-1001'");

  auto all = store_->Counts(std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->slots, 3);
  EXPECT_EQ(all->versions_by_state, (std::map<std::string, int>{{"pending", 2}, {"verified", 1}}));
  EXPECT_EQ(all->next_check_at, 300);

  auto mine = store_->Counts(1000);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->slots, 2);
  EXPECT_EQ(mine->versions_by_state, (std::map<std::string, int>{{"pending", 1}, {"verified", 1}}));
  EXPECT_EQ(mine->next_check_at, 500);
}

TEST_F(StoreTest, ReleaseLeasesMakesLeasedChecksDueAndLeavesOthersAlone) {
  const int64_t leased = Add("dev", "a").versions.at(0).id;
  const int64_t scheduled = Add("dev", "b").versions.at(0).id;
  const int64_t finished = Add("dev", "c").versions.at(0).id;
  ASSERT_TRUE(store_->LeaseCheck(leased, 5000));
  ASSERT_TRUE(store_->ScheduleCheck(scheduled, 4000, false));
  // A lease ended by a rescheduling is no lease any more.
  ASSERT_TRUE(store_->LeaseCheck(finished, 5000));
  ASSERT_TRUE(store_->ScheduleCheck(finished, 6000, false));
  EXPECT_EQ(store_->LeaseCheck(987654, 5000).error().code, ErrorCode::kNotFound);

  auto released = store_->ReleaseLeases(200);
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_EQ(*released, 1);
  auto next = [&](int64_t id) {
    return Raw()
        .execAndGet("SELECT next_check_at FROM versions WHERE id = " + std::to_string(id))
        .getInt64();
  };
  EXPECT_EQ(next(leased), 200);
  EXPECT_EQ(next(scheduled), 4000);
  EXPECT_EQ(next(finished), 6000);
  EXPECT_EQ(*store_->ReleaseLeases(300), 0) << "released once";
}

// --- schema invariants ---

TEST_F(StoreTest, SchemaAllowsOnlyOnePendingVersionPerSlot) {
  const Slot slot = Add("dev", "openrouter");
  EXPECT_THROW(Raw().exec("INSERT INTO versions (slot_id, number, uuid, state, envelope, "
                          "data_key_version, mask, fingerprint, created_at) VALUES (" +
                          std::to_string(slot.id) + ", 2, 'u2', 'pending', x'00', 1, '', '', 0)"),
               SQLite::Exception);
}

TEST_F(StoreTest, SchemaRefusesAPointerToAMissingVersion) {
  Add("dev", "openrouter");
  SQLite::Database raw = Raw();
  raw.exec("PRAGMA foreign_keys = ON");
  EXPECT_THROW(raw.exec("UPDATE slots SET current_version = 7"), SQLite::Exception);
}

// --- copies of exported keys ---

TEST_F(StoreTest, CopiesAreRecordedOncePerFileAndFieldCountedAndGoWithTheirSlot) {
  Add("dev", "openrouter");
  Add("dev", "openrouter", 1001);
  CopyRecord copy;
  copy.uid = 1000;
  copy.target = "dotenv";
  copy.path = "/home/a/.env";
  copy.field = "dotenv:OPENROUTER_API_KEY";
  copy.version = 1;
  copy.recorded_at = 200;
  auto recorded = store_->RecordCopy({1000, {"dev", "openrouter"}}, copy);
  ASSERT_TRUE(recorded) << recorded.error().message;
  EXPECT_EQ(recorded->fingerprint, "kfp:0123456789abcdef") << "the version's own";
  EXPECT_EQ(recorded->version_state, VersionState::kPending);
  copy.recorded_at = 300;
  ASSERT_TRUE(store_->RecordCopy({1000, {"dev", "openrouter"}}, copy)) << "an update";
  copy.version = 2;
  EXPECT_EQ(CodeOf(store_->RecordCopy({1000, {"dev", "openrouter"}}, copy)), ErrorCode::kNotFound);
  auto mine = store_->ListCopies({.owner_uid = 1000});
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().recorded_at, 300);
  EXPECT_EQ(store_->ListCopies({.owner_uid = 1001})->size(), 0u);
  auto counts = store_->CountCopies(1000);
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->copies, 1);
  EXPECT_EQ(counts->stale, 1) << "version 1 is not current";
  EXPECT_EQ(store_->CountCopies(1001)->copies, 0);
  auto found = store_->FindByFingerprint(1000, "kfp:0123456789abcdef");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u) << "owner 1001's slot has the same fingerprint and is not named";
  EXPECT_EQ(found->front().ref.str(), "dev/openrouter");
  ASSERT_TRUE(
      store_->RemoveSlot({1000, {"dev", "openrouter"}}, MakeEvent("rm", "dev/openrouter", 400)));
  EXPECT_EQ(RawCount("copies"), 0);
}

// --- gateway tokens ---

GatewayToken MakeToken(std::string name, uint32_t owner, uint8_t fill = 7) {
  return GatewayToken{.name = std::move(name),
                      .owner_uid = owner,
                      .env = "dev",
                      .slots = {},
                      .hash = Bytes(32, fill),
                      .created_at = 1700000000,
                      .expires_at = std::nullopt};
}

TEST_F(StoreTest, TokensReadBackPerOwnerWithScopeExpiryAndEvents) {
  GatewayToken scoped = MakeToken("ci", 1000, 1);
  scoped.slots = {"openrouter", "mistral"};
  scoped.expires_at = 1700086400;
  ASSERT_TRUE(store_->AddToken(scoped, MakeEvent("token_added", "", 100)));
  ASSERT_TRUE(
      store_->AddToken(MakeToken("ci", 2000, 2), MakeEvent("token_added", "", 101, 2000, 2000)))
      << "names are per owner";
  ASSERT_TRUE(store_->AddToken(MakeToken("a", 1000, 3), MakeEvent("token_added", "", 102)));

  Result<std::vector<GatewayToken>> mine = store_->ListTokens(1000u);
  ASSERT_TRUE(mine) << mine.error().message;
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].name, "a") << "by name";
  const GatewayToken& ci = (*mine)[1];
  EXPECT_EQ(ci.slots, scoped.slots);
  EXPECT_EQ(ci.hash, scoped.hash);
  EXPECT_EQ(ci.expires_at, scoped.expires_at);
  EXPECT_EQ(ci.created_at, scoped.created_at);
  EXPECT_TRUE(ci.Expired(1700086400));
  EXPECT_FALSE(ci.Expired(1700086399));
  EXPECT_FALSE((*mine)[0].Expired(4000000000)) << "no expiry: never";
  Result<std::vector<GatewayToken>> all = store_->ListTokens(std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 3u);

  Status again = store_->AddToken(MakeToken("ci", 1000, 9), MakeEvent("token_added", "", 103));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(RawCount("events"), 3) << "a refused add records nothing";

  Status other = store_->RemoveToken(3000, "ci", MakeEvent("token_removed", "", 104, 3000, 3000));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->RemoveToken(1000, "ci", MakeEvent("token_removed", "", 105)));
  EXPECT_EQ(store_->ListTokens(1000u)->size(), 1u);
  EXPECT_EQ(store_->ListTokens(2000u)->size(), 1u) << "another owner's token of that name stays";
  EXPECT_EQ(RawCount("events"), 4);
}

TEST_F(StoreTest, ATokenWithABadNameEnvSlotOrHashIsInvalidArgument) {
  GatewayToken bad_name = MakeToken("Bad Name", 1000);
  GatewayToken bad_env = MakeToken("ok", 1000);
  bad_env.env = "";
  GatewayToken bad_slot = MakeToken("ok", 1000);
  bad_slot.slots = {"a,b"};
  GatewayToken short_hash = MakeToken("ok", 1000);
  short_hash.hash.resize(16);
  for (const GatewayToken& token : {bad_name, bad_env, bad_slot, short_hash}) {
    Status added = store_->AddToken(token, MakeEvent("token_added", "", 100));
    ASSERT_FALSE(added) << token.name;
    EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(RawCount("gateway_tokens"), 0);
}

}  // namespace
}  // namespace keywarden
