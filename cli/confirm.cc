// The confirmation of destructive verbs (rm, revoke): asked on a terminal,
// --yes without one.
#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <iostream>
#include <string>

#include "command.h"
#include "output.h"

namespace keywarden::cli {

void AddYesOption(CLI::App* cmd, bool* yes) {
  cmd->add_flag("-y,--yes", *yes, "do not ask for confirmation (needed without a terminal)");
}

std::optional<int> Confirm(bool yes, std::string_view verb, std::string_view question,
                           const std::function<Result<std::string>()>& describe) {
  if (yes) return std::nullopt;
  if (::isatty(STDIN_FILENO) != 1) {
    PrintError(fmt::format("`keywarden {}` asks for confirmation, and standard input is not a "
                           "terminal",
                           verb),
               fmt::format("pass --yes (or -y) to {} without asking", verb));
    return kExitUsage;
  }
  Result<std::string> consequence = describe();
  if (!consequence) return Report(consequence.error());
  std::cerr << *consequence << " " << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) std::cerr << "\n";
  for (char& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (answer == "y" || answer == "yes") return std::nullopt;
  PrintError("not confirmed; nothing was changed");
  return kExitError;
}

}  // namespace keywarden::cli
