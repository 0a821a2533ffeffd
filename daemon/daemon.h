// keywardend's start-up sequence and command line.
#pragma once

namespace keywarden {

// Parses the command line, loads config and state, serves until signalled.
// Returns the process exit code: 0 after a clean shutdown, 1 when start-up
// failed (the reason is logged), 2 for a usage error.
int RunDaemon(int argc, char** argv);

}  // namespace keywarden
