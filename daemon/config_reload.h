// What `systemctl reload` (SIGHUP) changes in a running daemon: the
// settings that are read afresh each time they are used. The others are
// copied into long-lived parts at start and need a restart
// (docs/systemd.md "Reloading the configuration").
#pragma once

#include <string>
#include <vector>

#include "keywarden/config.h"

namespace keywarden {

// Copies the reloadable settings of `loaded` into `running`: default_env,
// providers, validation.revalidate_every, retry_min and retry_max,
// rotation, reminders.repeat_every and events. Leaves the others as they
// are and returns the names of those that differ between the two (empty
// when nothing needs a restart), e.g. {"notify.command"}.
std::vector<std::string> ApplyReload(Config& running, const Config& loaded);

}  // namespace keywarden
