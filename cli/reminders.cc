// keywarden reminders [--json]: keys due for rotation and keys that failed.
#include <iostream>
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

void RegisterReminders(CLI::App& app, const Globals& globals, Runner* run) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("reminders", "keys due for rotation, and current keys that fail");
  cmd->add_flag("--json", *json, "print a JSON array");
  cmd->callback([json, &globals, run] {
    *run = [json, &globals] {
      return CallAndPrint(globals, "reminders.list", Json::object(), false,
                          {{"reminders", Kind::kArray}}, [json](const Json& r) {
        const Json& list = Member(r, "reminders");
        if (*json) return PrintJson(list);
        if (list.empty()) {
          std::cout << "nothing due\n";
          return;
        }
        std::vector<std::vector<std::string>> rows = {{"REF", "KIND", "ROTATION DUE", "MESSAGE"}};
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
