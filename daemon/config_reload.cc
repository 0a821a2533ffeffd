#include "config_reload.h"

namespace keywarden {

std::vector<std::string> ApplyReload(Config& running, const Config& loaded) {
  running.default_env = loaded.default_env;
  running.providers = loaded.providers;
  running.validation.revalidate_every = loaded.validation.revalidate_every;
  running.validation.retry_min = loaded.validation.retry_min;
  running.validation.retry_max = loaded.validation.retry_max;
  running.rotation = loaded.rotation;
  running.repeat_every = loaded.repeat_every;
  running.events = loaded.events;

  // Copied at start into the HTTP client, the notifier, the audit writer
  // and the vault.
  std::vector<std::string> need_restart;
  auto note = [&need_restart](bool differs, const char* name) {
    if (differs) need_restart.emplace_back(name);
  };
  note(running.validation.timeout != loaded.validation.timeout, "validation.timeout");
  note(running.validation.concurrency_per_endpoint != loaded.validation.concurrency_per_endpoint,
       "validation.concurrency_per_endpoint");
  note(running.validation.ca_file != loaded.validation.ca_file, "validation.ca_file");
  note(running.notify_command != loaded.notify_command, "notify.command");
  note(running.audit_sync_before_reply != loaded.audit_sync_before_reply,
       "audit.sync_before_reply");
  note(running.master_key_file != loaded.master_key_file, "master_key_file");
  note(running.unlock != loaded.unlock, "unlock");
  // The gateway's socket and limits are set up at start.
  note(running.gateway != loaded.gateway, "gateway");
  return need_restart;
}

}  // namespace keywarden
