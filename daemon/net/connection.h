// One client connection: reads a line, hands it to the request handler,
// writes the reply, repeats. A line over 64 KiB, a malformed request or an
// idle client gets an error reply or a close; nothing one client sends can
// affect another.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "handlers/request_handler.h"
#include "net/asio.h"

namespace keywarden {

class ConnectionManager;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `pieces_worker` runs the pieces of text replies (slot.list), so that
  // the next piece is read from the store while this one is written.
  Connection(UnixSocket socket, Peer peer, ConnectionManager& manager, RequestHandler& handler,
             asio::thread_pool& pieces_worker, std::chrono::seconds idle_timeout);
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
  // or closes). A connection reads no request while a reply is unsent.
  void Write(std::string reply, bool close_after);
  // Hands the socket what it takes of reply_ past sent_; then again, or
  // OnWritten once all is sent or the write failed.
  void WriteSome();
  void OnWritten(boost::system::error_code ec);
  // Starts producing the next piece, if one remains and little enough of
  // the reply is unsent (kMaxUnsentBytes in connection.cc).
  void ProduceIfRoom();
  // Appends the next piece of pieces_ to `out` on the pieces worker, then
  // hands it to OnPiece on the event loop.
  void ProducePiece(std::string out, bool first);
  void OnPiece(std::string piece, Result<bool> more, bool first);
  // Writes a piece and starts producing the one after it, if any.
  void WritePiece(std::string piece);
  // The idle clock: a client is idle from last_active_ while the
  // connection waits for it (to send a request or to take its reply), not
  // while the handler works on its request. One timer wait covers many
  // requests: when it fires before the deadline it waits again for the
  // rest. Re-arming the timer for each read and write was three
  // cancellations (each a handler run) per request (docs/benchmarks.md).
  void CountIdleFromNow();
  void PauseIdle() { handler_busy_ = true; }
  void WaitIdle();

  UnixSocket socket_;
  Peer peer_;
  ConnectionManager& manager_;
  RequestHandler& handler_;
  std::chrono::seconds idle_timeout_;
  asio::steady_timer idle_timer_;
  std::string buffer_;        // bytes read and not yet handled; wiped after use
  std::string reply_;         // the reply being written; wiped after use
  size_t sent_ = 0;           // how much of reply_ the socket has taken
  bool close_after_ = false;  // close once reply_ is written
  asio::thread_pool& pieces_worker_;
  // A text reply in pieces: pieces_ is set while pieces remain to produce.
  // At most one piece is produced (off the loop) while one is written, and
  // only while little of the one written is left to send.
  RequestHandler::TextPieces pieces_;
  Json pieces_id_;                    // the id of that reply's request
  bool writing_ = false;              // an async_write is in flight
  bool producing_ = false;            // a piece is being produced
  std::optional<std::string> ready_;  // produced while the last was written
  std::string spare_;                 // a written piece's memory, for the next
  std::chrono::steady_clock::time_point last_active_;
  bool handler_busy_ = false;  // the idle clock is paused
  bool idle_waiting_ = false;  // idle_timer_ has a wait in flight
};

using ConnectionPtr = std::shared_ptr<Connection>;

}  // namespace keywarden
