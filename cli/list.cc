// keywarden list [--env ENV] [--json]
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "keywarden/json_text.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

void RegisterList(CLI::App& app, const Globals& globals, Runner* run) {
  struct Options {
    std::string env;
    std::string owner;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("list", "list slots and their state");
  cmd->alias("ls");
  cmd->add_option("--env", o->env, "only this environment");
  cmd->add_flag("--json", o->json, "print a JSON array of slots");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      ListSlotsParams params;
      if (!o->env.empty()) params.env = o->env;
      Result<std::optional<uint32_t>> owner = OwnerUid(o->owner);
      if (!owner) return Report(owner.error());
      params.owner = *owner;
      if (!o->json && !globals.json) {
        // Only the columns of the table: a tenth of the text to parse.
        params.summary = true;
        return CallAndPrint<ListSlotsParams>(
            globals, params, false,
            [](const ListSlotsResult& r, const Json&) { PrintSlotTable(r.slots); });
      }
      // --json prints the bare array, the shape DESIGN.md gives for list.
      // Over 100,000 slots it is over a hundred MB (docs/benchmarks.md): it
      // is indented as text while it
      // arrives, never parsed into a Json tree, and printed once complete,
      // so that a failure part way prints nothing but the error. It is
      // kept in blocks: one string doubling to that size copied each byte
      // twice more and touched twice the memory.
      Result<Client> client = ConnectDaemon(globals);
      if (!client) return Report(client.error());
      constexpr size_t kBlockBytes = 4 << 20;
      std::vector<std::string> blocks;
      auto next_block = [&blocks] {
        blocks.emplace_back().reserve(kBlockBytes + kBlockBytes / 4);  // a Feed's worth of room
      };
      next_block();
      JsonIndenter indenter;
      bool array = true;  // the text starts with '['
      bool started = false;
      const Json wire = Encode(params);
      Status listed =
          client->CallForText(params.kMethod, wire, "slots", [&](std::string_view text) {
            if (!started && !text.empty()) {
              started = true;
              array = text.front() == '[';
            }
            if (!array) return size_t{0};
            const size_t taken = indenter.Feed(text, blocks.back());
            if (blocks.back().size() >= kBlockBytes) next_block();
            return taken;
          });
      if (started && !array) return ReportUnexpectedReply();
      if (!listed) return Report(listed.error());
      if (!started) return ReportUnexpectedReply();
      blocks.back().push_back('\n');
      for (const std::string& block : blocks) {
        std::cout.write(block.data(), static_cast<std::streamsize>(block.size()));
      }
      std::cout.flush();
      if (!std::cout) return Report(Error{ErrorCode::kIo, "cannot write to standard output", ""});
      return static_cast<int>(kExitOk);
    };
  });
}

}  // namespace keywarden::cli
