// One client connection: reads a line, hands it to the request handler,
// writes the reply, repeats. A line over 64 KiB, a malformed request or an
// idle client gets an error reply or a close; nothing one client sends can
// affect another.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "asio.h"
#include "request_handler.h"

namespace keywarden {

class ConnectionManager;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(UnixSocket socket, Peer peer, ConnectionManager& manager, RequestHandler& handler,
             std::chrono::seconds idle_timeout);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  void Start();
  // Closes the socket; pending operations complete with an error.
  void Stop();
  // When the client last sent or received a byte; used to evict the
  // longest-idle connection when the cap is reached.
  std::chrono::steady_clock::time_point last_active() const { return last_active_; }

 private:
  void Read();
  void OnLine(size_t length);
  // Writes `reply`, then reads the next request (or writes the next piece,
  // or closes).
  void Write(std::string reply, bool close_after);
  // Appends the next piece of pieces_ to `out` and writes it.
  void WritePiece(std::string out, bool first);
  void ArmIdleTimer();

  UnixSocket socket_;
  Peer peer_;
  ConnectionManager& manager_;
  RequestHandler& handler_;
  std::chrono::seconds idle_timeout_;
  asio::steady_timer idle_timer_;
  std::string buffer_;  // bytes read and not yet handled; wiped after use
  std::string reply_;   // the reply being written; wiped after use
  RequestHandler::TextPieces pieces_;  // set while pieces of a reply remain
  Json pieces_id_;                     // the id of that reply's request
  std::chrono::steady_clock::time_point last_active_;
};

using ConnectionPtr = std::shared_ptr<Connection>;

}  // namespace keywarden
