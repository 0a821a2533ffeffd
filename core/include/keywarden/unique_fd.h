// A file descriptor that is closed when its owner goes away.
#pragma once

#include <unistd.h>

namespace keywarden {

// Owns one descriptor (or none: -1) and closes it on destruction. Not
// copyable; moving is not offered either, since every user keeps it in one
// scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace keywarden
