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
      Json params = Json::object();
      if (Status s = SetOwner(params, *owner); !s) return Report(s.error());
      return CallAndPrint(
          globals, "reminders.list", params, false, {{"reminders", Kind::kArray}},
          [json](const Json& r) {
            const Json& list = Member(r, "reminders");
            if (*json) return PrintJson(list);
            if (list.empty()) {
              std::cout << "nothing due\n";
              return;
            }
            std::vector<std::vector<std::string>> rows = {
                {"REF", "KIND", "ROTATION DUE", "MESSAGE"}};
            for (const Json& x : list) {
              rows.push_back({Text(Member(x, "ref")), Text(Member(x, "kind")),
                              Text(Member(x, "rotation_due_at")), Text(Member(x, "message"), "")});
            }
            std::cout << FormatTable(rows);
          });
    };
  });
}

}  // namespace keywarden::cli
