// Test harness for integration tests: the shared test support (a temporary
// home, the real keywardend started on it, the real keywarden CLI run as a
// child process, the fake provider) plus a raw connection to the daemon's
// socket.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "support/daemon.h"
#include "support/fake_provider.h"
#include "support/files.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace keywarden::testing {

// A raw connection to the daemon's socket, for sending what the real client
// never would, or for holding many connections open.
class RawSocket {
 public:
  explicit RawSocket(const std::filesystem::path& path);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }
  // Sends all of `bytes`; false if the peer is gone.
  bool Send(std::string_view bytes);
  // One line, or "" on close or after 5 s.
  std::string ReadLine();
  // True if the peer closed the connection (EOF) within 5 s.
  bool Closed();
  // What has arrived, without waiting: appended to `*in`. Returns false
  // once the peer has closed; `*reset` tells a reset from a clean EOF.
  bool Drain(std::string* in, bool* reset = nullptr);

 private:
  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace keywarden::testing
