// keywarden reminders [--json]: keys due for rotation and keys that failed.
#include <iostream>
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

void RegisterReminders(CLI::App& app, const Globals& globals, Runner* run) {
  auto json = std::make_shared<bool>(false);
  auto owner = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("reminders", "keys due for rotation, and current keys that fail");
  cmd->add_flag("--json", *json, "print a JSON array");
  AddOwnerOption(cmd, owner.get());
  cmd->callback([json, owner, &globals, run] {
    *run = [json, owner, &globals] {
      Result<std::optional<uint32_t>> uid = OwnerUid(*owner);
      if (!uid) return Report(uid.error());
      return CallAndPrint<RemindersParams>(
          globals, {*uid}, false,
          [as_json = *json || globals.json](const RemindersResult& r, const Json& raw) {
            const std::vector<Reminder>& list = r.reminders;
            if (as_json) return PrintJson(raw["reminders"]);
            if (list.empty()) {
              std::cout << "nothing due\n";
              return;
            }
            std::vector<std::vector<std::string>> rows = {
                {"REF", "KIND", "ROTATION DUE", "MESSAGE"}};
            for (const Reminder& x : list) {
              rows.push_back({x.ref, x.kind, x.rotation_due_at.value_or("-"), x.message});
            }
            std::cout << FormatTable(rows, OutputWidth());
          });
    };
  });
}

}  // namespace keywarden::cli
