#include "net/connection.h"

#include <malloc.h>

#include "keywarden/secret.h"
#include "log.h"
#include "net/connection_manager.h"

namespace keywarden {
namespace {

constexpr size_t kLargeReplyBytes = 4 * 1024 * 1024;
// The most of a reply in pieces (slot.list) that a connection holds unsent:
// the next piece (HandlerOptions::list_piece_bytes, about half of this) is
// produced only while less than half of this is waiting for the client.
// A client that stops reading holds no more of the daemon's memory, and
// produces no more work for the pieces worker, which other clients share.
constexpr size_t kMaxUnsentBytes = 128 * 1024;
constexpr int kPiecesSendBuffer = 2 * 1024 * 1024;

}  // namespace

Connection::Connection(UnixSocket socket, Peer peer, ConnectionManager& manager,
                       RequestHandler& handler, asio::thread_pool& pieces_worker,
                       std::chrono::seconds idle_timeout)
    : socket_(std::move(socket)),
      peer_(peer),
      manager_(manager),
      handler_(handler),
      idle_timeout_(idle_timeout),
      idle_timer_(socket_.get_executor()),
      pieces_worker_(pieces_worker),
      last_active_(std::chrono::steady_clock::now()) {}

Connection::~Connection() {
  Wipe(buffer_);
  Wipe(reply_);
}

void Connection::Start() { Read(); }

void Connection::Stop() {
  boost::system::error_code ignored;
  idle_timer_.cancel();
  socket_.close(ignored);
}

void Connection::CountIdleFromNow() {
  last_active_ = std::chrono::steady_clock::now();
  handler_busy_ = false;
  if (!idle_waiting_) WaitIdle();
}

void Connection::WaitIdle() {
  idle_waiting_ = true;
  idle_timer_.expires_at(last_active_ + idle_timeout_);
  idle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->idle_waiting_ = false;
    if (ec || self->handler_busy_) return;  // stopped, or CountIdleFromNow waits again
    if (std::chrono::steady_clock::now() >= self->last_active_ + self->idle_timeout_) {
      return self->manager_.Stop(self);
    }
    self->WaitIdle();
  });
}

void Connection::Read() {
  CountIdleFromNow();
  // The dynamic buffer's cap makes an over-long line fail the read instead
  // of growing memory without bound.
  asio::async_read_until(
      socket_, asio::dynamic_buffer(buffer_, kMaxLineBytes), '\n',
      [self = shared_from_this()](boost::system::error_code ec, size_t length) {
        self->last_active_ = std::chrono::steady_clock::now();
        if (ec == asio::error::not_found) {
          Wipe(self->buffer_);
          self->Write(EncodeError(nullptr, Error{ErrorCode::kProtocol,
                                                 "request line longer than 65535 bytes"}),
                      /*close_after=*/true);
          return;
        }
        if (ec) {
          if (ec != asio::error::operation_aborted) self->manager_.Stop(self);
          return;
        }
        self->OnLine(length);
      });
}

void Connection::OnLine(size_t length) {
  std::string_view line(buffer_.data(), length - 1);  // without '\n'
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Json id = nullptr;
  Result<Request> request = ParseRequest(line, &id);
  // The line may hold a secret: wipe it as soon as it is parsed.
  std::fill(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(length), '\0');
  buffer_.erase(0, length);
  if (!request) {
    Write(EncodeError(id, request.error()), /*close_after=*/false);
    return;
  }
  // The reply may come later (validation waits on the network); the
  // connection reads nothing more until it has been written.
  PauseIdle();
  handler_.Handle(
      *request, peer_,
      [self = shared_from_this(), id = request->id](Result<Json> result) {
        if (!result) {
          self->Write(EncodeError(id, result.error()), false);
          return;
        }
        std::string reply = EncodeResult(id, *result);
        if (auto secret = result->find("secret"); secret != result->end() && secret->is_string()) {
          Wipe(secret->get_ref<std::string&>());
        }
        self->Write(std::move(reply), false);
      },
      [self = shared_from_this(), id = request->id](RequestHandler::TextPieces pieces) {
        self->pieces_ = std::move(pieces);
        self->pieces_id_ = id;
        // Room for several pieces in the socket, so the worker keeps reading
        // while the client catches up (the kernel caps it at wmem_max).
        boost::system::error_code ignored;
        self->socket_.set_option(asio::socket_base::send_buffer_size(kPiecesSendBuffer), ignored);
        self->ProducePiece(ResultLineStart(id), /*first=*/true);
      });
}

void Connection::ProducePiece(std::string out, bool first) {
  producing_ = true;
  // pieces_ is touched by one thread at a time: the worker while
  // producing_, the loop otherwise; the posts order the two.
  asio::post(pieces_worker_, [self = shared_from_this(), loop = socket_.get_executor(),
                              out = std::move(out), first]() mutable {
    Result<bool> more = self->pieces_(out);
    asio::post(loop, [self, out = std::move(out), more = std::move(more), first]() mutable {
      self->OnPiece(std::move(out), std::move(more), first);
    });
  });
}

void Connection::OnPiece(std::string piece, Result<bool> more, bool first) {
  producing_ = false;
  if (!socket_.is_open()) {  // stopped meanwhile: the rest is not wanted
    pieces_ = nullptr;
    return;
  }
  if (!more) {
    pieces_ = nullptr;
    if (first) return Write(EncodeError(pieces_id_, more.error()), false);
    // Part of the line is out: the client can only be told by a close.
    log::Error("cannot finish a reply; closing the connection", {{"error", more.error().message}});
    return manager_.Stop(shared_from_this());
  }
  if (!*more) {
    pieces_ = nullptr;
    piece.append(ResultLineEnd());
  }
  if (writing_) {
    ready_ = std::move(piece);  // written when the one in flight is
    return;
  }
  WritePiece(std::move(piece));
}

void Connection::WritePiece(std::string piece) {
  Write(std::move(piece), false);
  ProduceIfRoom();
}

void Connection::ProduceIfRoom() {
  if (!pieces_ || producing_ || ready_) return;
  if (reply_.size() - sent_ > kMaxUnsentBytes / 2) {
    // The client is not keeping up: produce nothing more until it has
    // taken most of what it was sent, and keep no memory for it meanwhile.
    std::string().swap(spare_);
    return;
  }
  // The next piece reuses a written one's memory: no fresh pages to fault
  // in for each of a list's pieces.
  std::string out = std::move(spare_);
  out.clear();
  ProducePiece(std::move(out), /*first=*/false);
}

void Connection::Write(std::string reply, bool close_after) {
  reply_ = std::move(reply);
  sent_ = 0;
  close_after_ = close_after;
  writing_ = true;
  CountIdleFromNow();  // a client that never reads its reply is idle too
  WriteSome();
}

void Connection::WriteSome() {
  // Written as the socket takes it, so that the next piece of a list is
  // produced only once this one has mostly left the daemon.
  socket_.async_write_some(
      asio::buffer(reply_.data() + sent_, reply_.size() - sent_),
      [self = shared_from_this()](boost::system::error_code ec, size_t written) {
        self->last_active_ = std::chrono::steady_clock::now();
        self->sent_ += written;
        if (!ec && self->sent_ < self->reply_.size()) {
          self->ProduceIfRoom();
          return self->WriteSome();
        }
        self->OnWritten(ec);
      });
}

void Connection::OnWritten(boost::system::error_code ec) {
  writing_ = false;
  Wipe(reply_);
  if (!ec && !close_after_ && (ready_ || producing_ || pieces_)) {
    spare_ = std::move(reply_);
    reply_.clear();
    sent_ = 0;
    if (ready_) {
      std::string next = std::move(*ready_);
      ready_.reset();
      return WritePiece(std::move(next));
    }
    return ProduceIfRoom();  // OnPiece writes it
  }
  std::string().swap(spare_);  // kept for pieces only
  if (reply_.capacity() > kLargeReplyBytes) {
    // A large reply: its memory goes back to the system now, so an idle
    // daemon stays small.
    std::string().swap(reply_);
    ::malloc_trim(0);
  }
  if (ec || close_after_) {
    if (ec != asio::error::operation_aborted) manager_.Stop(shared_from_this());
    return;
  }
  Read();
}

}  // namespace keywarden
