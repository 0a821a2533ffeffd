#include "secret_input.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace keywarden::cli {
namespace {

constexpr size_t kMaxSecretBytes = 16 * 1024;

// Reads from `fd` into secure memory until EOF, or until a newline when
// `stop_at_newline`. The newline is not kept.
Result<SecretBuffer> ReadInto(int fd, bool stop_at_newline) {
  SecretBuffer buffer(kMaxSecretBytes + 1);
  size_t used = 0;
  while (used <= kMaxSecretBytes) {
    ssize_t n = ::read(fd, buffer.data() + used, stop_at_newline ? 1 : kMaxSecretBytes + 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Fail(ErrorCode::kIo, std::string("cannot read the secret: ") + std::strerror(errno));
    if (n == 0) break;
    if (stop_at_newline && buffer.data()[used] == '\n') break;
    used += static_cast<size_t>(n);
  }
  if (used > kMaxSecretBytes) {
    return Fail(ErrorCode::kInvalidArgument, "the secret on standard input is longer than 16 KiB",
                "pipe only the key, e.g. `keywarden add dev/x ... < keyfile`");
  }
  if (!stop_at_newline && used > 0 && buffer.data()[used - 1] == '\n') --used;
  if (used == 0) {
    return Fail(ErrorCode::kInvalidArgument, "no secret given",
                "type or paste the key at the prompt, or pipe it on standard input");
  }
  SecretBuffer out(used);
  std::memcpy(out.data(), buffer.data(), used);
  return out;
}

}  // namespace

Result<SecretBuffer> ReadSecret(std::string_view prompt) {
  if (!::isatty(STDIN_FILENO)) return ReadInto(STDIN_FILENO, false);
  int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) return ReadInto(STDIN_FILENO, false);
  termios saved{};
  ::tcgetattr(tty, &saved);
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  [[maybe_unused]] ssize_t w = ::write(tty, prompt.data(), prompt.size());
  ::tcsetattr(tty, TCSAFLUSH, &quiet);
  Result<SecretBuffer> secret = ReadInto(tty, true);
  ::tcsetattr(tty, TCSAFLUSH, &saved);
  ::close(tty);
  return secret;
}

}  // namespace keywarden::cli
