#include <cstdlib>
#include <iostream>

#include "command.h"
#include "keywarden/paths.h"
#include "output.h"

namespace keywarden::cli {

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotUsable: return kExitNotUsable;
    case ErrorCode::kNotFound: return kExitNotFound;
    case ErrorCode::kUnavailable:
    case ErrorCode::kSealed: return kExitUnreachable;
    default: return kExitError;
  }
}

int Report(const Error& error) {
  PrintError(error.message, error.hint);
  return ExitCodeFor(error.code);
}

Result<Client> ConnectDaemon(const Globals& globals, std::chrono::milliseconds timeout) {
  PathOptions options;
  if (!globals.home.empty()) options.home = globals.home;
  if (!globals.socket.empty()) options.socket = globals.socket;
  Result<Paths> paths = ResolvePaths(options);
  if (!paths) return std::unexpected(paths.error());
  return Client::Connect(paths->socket_file, timeout);
}

int CallAndPrint(const Globals& globals, std::string_view method, const Json& params, bool json,
                 const std::function<void(const Json&)>& print) {
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Result<Json> result = client->Call(method, params);
  if (!result) return Report(result.error());
  if (json) {
    PrintJson(*result);
  } else {
    print(*result);
  }
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"keywarden: keeps LLM provider API keys encrypted, verified and rotated"};
  app.require_subcommand(1);
  Globals globals;
  app.add_option("--home", globals.home, "the daemon's home directory")->envname("KEYWARDEN_HOME");
  app.add_option("--socket", globals.socket, "the daemon's socket")->envname("KEYWARDEN_SOCKET");
  app.set_version_flag("--version", "keywarden 0.1.0");

  Runner run;
  for (Registrar registrar : {RegisterAdd, RegisterList, RegisterShow, RegisterGet, RegisterRemove,
                              RegisterStatus, RegisterProviders, RegisterEvents, RegisterValidate,
                              RegisterCheck, RegisterRotate, RegisterRollback, RegisterRevoke,
                              RegisterReminders, RegisterUnlock, RegisterSeal, RegisterRekey,
                              RegisterExport, RegisterExec}) {
    registrar(app, globals, &run);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    if (!message.empty() && std::isupper(static_cast<unsigned char>(message[0]))) {
      message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    }
    PrintError(message, "run `keywarden --help` or `keywarden COMMAND --help`");
    return kExitUsage;
  }
  return run ? run() : kExitUsage;
}

}  // namespace keywarden::cli
