// A mutex that hands itself over in the order it was asked for.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace keywarden::store {

// Lockable like std::mutex, but first come, first served: a thread that
// unlocks and locks again at once (the pieces worker producing one list
// piece after another) cannot take it back ahead of a thread already
// waiting (the event loop, with a batch of gets). A std::mutex let the
// worker win nearly every time, so gets waited for the whole of a burst
// of lists instead of one piece. Neither copyable nor movable.
class FairMutex {
 public:
  FairMutex() = default;
  FairMutex(const FairMutex&) = delete;
  FairMutex& operator=(const FairMutex&) = delete;

  void lock() {
    std::unique_lock lock(mu_);
    const uint64_t ticket = next_ticket_++;
    turn_.wait(lock, [&] { return serving_ == ticket; });
  }

  void unlock() {
    {
      std::lock_guard lock(mu_);
      ++serving_;
    }
    turn_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable turn_;
  uint64_t next_ticket_ = 0;  // guarded by mu_
  uint64_t serving_ = 0;      // guarded by mu_: the ticket that holds the lock
};

}  // namespace keywarden::store
