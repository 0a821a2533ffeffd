// Validation in the daemon: the scheduler picks due versions, the
// validator probes them, and the outcome is stored, logged and recorded as
// events. Runs on the one io_context; HTTP never blocks it.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>

#include "http/http_client.h"
#include "keys/keyring.h"
#include "keywarden/copy_store.h"
#include "keywarden/protocol.h"
#include "keywarden/slot_store.h"
#include "net/asio.h"
#include "schedule/notifier.h"
#include "schedule/scheduler.h"
#include "validation/validator.h"

namespace keywarden {

// What a secret that failed its integrity check (Keyring::Unseal) does to
// its version: failed with an `integrity` diagnosis, its checks kept, no
// further check scheduled, and a `failed` event (detail "integrity") if it
// was not failed already. `uid` is who acted (the daemon, or the client
// whose get found it).
ValidationRecord IntegrityFailureRecord(const Slot& slot, const Version& version,
                                        const Error& error, int64_t now, uint32_t uid);

class ValidationService {
 public:
  ValidationService(asio::io_context& io, SlotStore& slots, ScheduleStore& schedule,
                    const std::optional<Keyring>& keyring, const Config& config,
                    const Catalogue& catalogue);
  ValidationService(const ValidationService&) = delete;
  ValidationService& operator=(const ValidationService&) = delete;

  // Arms the timer for what the database says is due (also after a restart).
  void Start() { scheduler_.Poke(); }
  void Stop();
  // Call after anything changed the schedule.
  void Poke() { scheduler_.Poke(); }
  std::optional<int64_t> next_wakeup() const { return scheduler_.next_wakeup(); }
  // See Scheduler::SetHousekeeping.
  void SetHousekeeping(std::function<int64_t(int64_t now)> run) {
    scheduler_.SetHousekeeping(std::move(run));
  }

  // Schedules the slot's pending and current versions (or its newest, if
  // neither) to be checked now. `done`, if given, runs once all of those
  // runs have finished.
  Status ValidateNow(const Slot& slot, std::function<void()> done);

  // The slot's models, endpoint or probe changed and `version_ids` were
  // scheduled for a check now (SlotStore::UpdateSlot): a check of one of
  // them still running under the old settings has its result dropped when
  // it ends and runs again (waiters of ValidateNow wait for that run).
  void SettingsChanged(const std::vector<int64_t>& version_ids);

  // Stores IntegrityFailureRecord for `version` of `slot` and announces its
  // event (log and notify.command). The version is never served again
  // until a new key replaces it.
  void RecordIntegrityFailure(const Slot& slot, const Version& version, const Error& error,
                              uint32_t uid);

  // Where the copies of exported keys are recorded: a promotion that
  // leaves copies holding another version records a `copies_stale` event
  // and runs notify.command. Null (the default): not looked at.
  void SetCopies(CopyStore* copies) { copies_ = copies; }

  // Runs the ladder on a key that is not stored (`keywarden check`).
  void CheckKey(const ProviderInfo& provider, const std::string& endpoint,
                const std::vector<std::string>& models, bool list_only, SecretBuffer key,
                std::function<void(Result<Json>)> done);

 private:
  void RunCheck(const DueCheck& due);
  void Complete(const DueCheck& due, const Slot& slot, const Version& version,
                const LadderObservation& observation);
  void Release(int64_t version_id);
  bool Remind(const DueReminder& reminder);  // false if it could not be recorded
  // Logs an event that needs the owner's attention and runs notify.command.
  void Announce(const Event& event, std::string_view kind);

  SlotStore& slots_;
  ScheduleStore& schedule_;
  const std::optional<Keyring>& keyring_;
  const Config& config_;
  const Catalogue& catalogue_;
  HttpClient http_;
  Validator validator_;
  Scheduler scheduler_;
  Notifier notifier_;
  std::multimap<int64_t, std::function<void()>> waiters_;  // version id -> callback
  std::set<int64_t> stale_;
  CopyStore* copies_ = nullptr;  // version ids whose running check's settings changed
};

}  // namespace keywarden
