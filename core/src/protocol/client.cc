#include "keywarden/client.h"

#include <fmt/format.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace keywarden {
namespace {

Error Unreachable(const std::filesystem::path& socket, std::string_view why) {
  return Error{ErrorCode::kUnavailable,
               fmt::format("cannot reach keywardend at {}: {}", socket.string(), why),
               "start the daemon with `keywardend` (or `systemctl --user start keywardend`), "
               "or point --socket / KEYWARDEN_SOCKET at it"};
}

// Waits until `fd` is ready for `events` or the deadline passes.
bool WaitFor(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// A failure to receive once part of a reply has come: the daemon went away
// (or timed out) while writing it, which is not a refusal.
Error CutShort(Error error) {
  if (error.code != ErrorCode::kUnavailable) return error;
  error.message += " before its reply was complete";
  error.hint = "see the daemon's log (journalctl --user -u keywardend)";
  return error;
}

}  // namespace

Result<Client> Client::Connect(const std::filesystem::path& socket,
                               std::chrono::milliseconds timeout) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof(address.sun_path)) {
    return std::unexpected(Unreachable(socket, "the socket path is too long"));
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(Unreachable(socket, std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    int err = errno;
    ::close(fd);
    return std::unexpected(Unreachable(socket, std::strerror(err)));
  }
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
    int err = errno;
    ::close(fd);
    return std::unexpected(Unreachable(socket, std::strerror(err)));
  }
  return Client(fd, peer.uid, timeout);
}

Status Client::CheckServer() const {
  if (server_uid_ == ::getuid() || server_uid_ == ::geteuid() || server_uid_ == 0) return {};
  // getpwnam's static entry is read before anything else can call it.
  if (const passwd* system_user = ::getpwnam("keywarden");
      system_user != nullptr && system_user->pw_uid == server_uid_) {
    return {};
  }
  return Fail(ErrorCode::kUnavailable,
              fmt::format("refusing the daemon socket: it is served by uid {}, which is neither "
                          "you, root nor the keywarden system user",
                          server_uid_),
              "nothing was sent; point --socket / KEYWARDEN_SOCKET at your own keywardend");
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      server_uid_(other.server_uid_),
      timeout_(other.timeout_),
      next_id_(other.next_id_) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    server_uid_ = other.server_uid_;
    timeout_ = other.timeout_;
    next_id_ = other.next_id_;
  }
  return *this;
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Status Client::Send(std::string& line) {
  Status sent = SendBytes(line);
  Wipe(line);
  return sent;
}

Status Client::SendBytes(std::string_view line) {
  size_t sent = 0;
  while (sent < line.size()) {
    if (!WaitFor(fd_, POLLOUT, timeout_)) {
      return Fail(ErrorCode::kUnavailable, "timed out sending to keywardend");
    }
    ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Fail(ErrorCode::kUnavailable, "keywardend closed the connection",
                  "see the daemon's log (journalctl --user -u keywardend)");
    }
    sent += static_cast<size_t>(n);
  }
  return {};
}

Status Client::ReceiveSecretLine(SecretBuffer* line, size_t* size) {
  constexpr size_t kFirstBytes = 64 * 1024;
  SecretBuffer buffer(kFirstBytes);
  size_t used = 0;
  for (;;) {
    if (used == buffer.size()) {
      if (buffer.size() >= kMaxSecretResponseBytes) {
        return Fail(ErrorCode::kProtocol, "keywardend sent an oversized response");
      }
      SecretBuffer bigger(buffer.size() * 2);  // the smaller one is wiped as it goes
      std::memcpy(bigger.data(), buffer.data(), used);
      buffer = std::move(bigger);
    }
    if (!WaitFor(fd_, POLLIN, timeout_)) {
      return Fail(ErrorCode::kUnavailable, "timed out waiting for keywardend");
    }
    ssize_t n = ::recv(fd_, buffer.data() + used, buffer.size() - used, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error closed{ErrorCode::kUnavailable, "keywardend closed the connection",
                   "the daemon may have refused this user; see its log"};
      return std::unexpected(used > 0 ? CutShort(std::move(closed)) : std::move(closed));
    }
    const size_t scanned = used;
    used += static_cast<size_t>(n);
    const void* newline = std::memchr(buffer.data() + scanned, '\n', used - scanned);
    if (newline != nullptr) {
      *size = static_cast<size_t>(static_cast<const uint8_t*>(newline) - buffer.data());
      *line = std::move(buffer);
      return {};
    }
  }
}

Status Client::Receive(std::string& into, size_t before) {
  // Replies (not requests) may be large: `list --json` over many slots.
  if (before + into.size() > kMaxResponseBytes) {
    Wipe(into);
    return Fail(ErrorCode::kProtocol, "keywardend sent an oversized response");
  }
  char buffer[65536];
  for (;;) {
    if (!WaitFor(fd_, POLLIN, timeout_)) {
      Wipe(into);
      return Fail(ErrorCode::kUnavailable, "timed out waiting for keywardend");
    }
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Wipe(into);
      return Fail(ErrorCode::kUnavailable, "keywardend closed the connection",
                  "the daemon may have refused this user; see its log");
    }
    into.append(buffer, static_cast<size_t>(n));
    return {};
  }
}

Status Client::ReceiveLine(std::string& response, size_t scanned) {
  for (;;) {
    size_t newline = response.find('\n', scanned);
    if (newline != std::string::npos) {
      response.resize(newline);
      return {};
    }
    scanned = response.size();  // a large reply is searched once
    if (Status got = Receive(response); !got) return got;
  }
}

Result<std::string> Client::RoundTrip(std::string& line) {
  if (Status sent = Send(line); !sent) return std::unexpected(sent.error());
  std::string response;
  if (Status got = ReceiveLine(response, 0); !got) return std::unexpected(got.error());
  return response;
}

Result<Json> Client::Call(std::string_view method, const Json& params,
                          const std::vector<SecretParam>& secrets) {
  Json id = next_id_++;
  if (secrets.empty()) {
    std::string line = EncodeRequest(id, method, params);
    Result<std::string> response = RoundTrip(line);
    if (!response) return std::unexpected(response.error());
    return ParseResponse(*response, id);
  }
  Result<SecretBuffer> line = EncodeSecretRequest(id, method, params, secrets);
  if (!line) return std::unexpected(line.error());
  if (Status sent = SendBytes(line->view()); !sent) return std::unexpected(sent.error());
  std::string response;
  if (Status got = ReceiveLine(response, 0); !got) return std::unexpected(got.error());
  return ParseResponse(response, id);
}

Status Client::CallForText(std::string_view method, const Json& params, std::string_view member,
                           const std::function<size_t(std::string_view)>& consume) {
  Json id = next_id_++;
  std::string line = EncodeRequest(id, method, params);
  if (Status sent = Send(line); !sent) return sent;
  // A result the daemon writes in pieces starts with exactly this (see
  // ResultLineStart); anything else, an error for one, is read whole.
  const std::string result_start = ResultLineStart(id);
  const std::string prefix = result_start + "{\"" + std::string(member) + "\":";
  std::string received;
  while (received.size() < prefix.size() && std::string_view(prefix).starts_with(received)) {
    if (Status got = Receive(received); !got) return got;
  }
  if (!received.starts_with(prefix)) {
    if (Status got = ReceiveLine(received, 0); !got) return got;
    Result<std::string_view> text = ResponseMemberText(received, id, member);
    if (!text) return std::unexpected(text.error());
    consume(*text);
    return {};
  }
  const auto protocol_error = [] {
    return Fail(ErrorCode::kProtocol, "the daemon sent a response that is not a JSON object");
  };
  // The member's text goes to `consume` as it arrives, up to where it ends
  // (consume takes less than it is given); the rest of the line is small.
  size_t total = received.size();
  std::string piece = received.substr(prefix.size());
  std::string rest;
  for (;;) {
    const size_t newline = piece.find('\n');
    const std::string_view text = std::string_view(piece).substr(0, newline);
    const size_t taken = consume(text);
    if (taken < text.size()) {
      rest = piece.substr(taken);
      break;
    }
    if (newline != std::string::npos) return protocol_error();  // cut short
    piece.clear();
    if (Status got = Receive(piece, total); !got) return std::unexpected(CutShort(got.error()));
    total += piece.size();
  }
  if (Status got = ReceiveLine(rest, 0); !got) return std::unexpected(CutShort(got.error()));
  // The member must be the result's last: `}` closes the result, and the
  // envelope around it (id, version) is checked with the result as null.
  if (!rest.starts_with('}')) return protocol_error();
  Result<Json> checked = ParseResponse(result_start + "null" + rest.substr(1), id);
  if (!checked) return std::unexpected(checked.error());
  return {};
}

Result<SecretBuffer> Client::CallForSecret(std::string_view method, const Json& params,
                                           Json* rest) {
  Json id = next_id_++;
  std::string line = EncodeRequest(id, method, params);
  if (Status sent = Send(line); !sent) return std::unexpected(sent.error());
  SecretBuffer response;
  size_t size = 0;
  if (Status got = ReceiveSecretLine(&response, &size); !got) return std::unexpected(got.error());
  return ParseSecretResponse(response.view().substr(0, size), id, rest);
}

}  // namespace keywarden
