#include "http/http_client_multi.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <utility>
#include <vector>

namespace keywarden {
namespace {

// True if `fd` is readable (or writable) right now; an error or hang-up
// counts, since curl is the one to find out what it is.
bool ReadyNow(curl_socket_t fd, bool write) {
  pollfd p{fd, static_cast<short>(write ? POLLOUT : POLLIN), 0};
  return ::poll(&p, 1, 0) > 0;
}

// libcurl 7.88 opens the socket pair curl_multi_wakeup uses without
// close-on-exec and gives no access to it. Called right after
// curl_multi_init: every descriptor open now is marked (the daemon's own
// already are), so that none of them reaches a program the daemon runs.
void MarkOpenDescriptorsCloseOnExec() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return;  // the notify child's close_range still covers them
  while (dirent* entry = ::readdir(dir)) {
    int fd = std::atoi(entry->d_name);
    if (fd <= STDERR_FILENO || fd == ::dirfd(dir)) continue;
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) == 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
  ::closedir(dir);
}

}  // namespace

struct CurlMulti::Watch {
  Watch(asio::io_context& io, curl_socket_t socket) : fd(socket), descriptor(io) {}

  curl_socket_t fd;
  // Wraps curl's fd without owning it: released, never closed.
  asio::posix::stream_descriptor descriptor;
  int what = 0;                    // CURL_POLL_IN / _OUT / _INOUT, as curl last asked
  bool armed[2] = {false, false};  // a wait (or posted readiness) outstanding: [read, write]
  bool gone = false;               // released; handlers still queued must ignore it
};

std::shared_ptr<CurlMulti> CurlMulti::Create(asio::io_context& io, DoneFn on_done) {
  return std::shared_ptr<CurlMulti>(new CurlMulti(io, std::move(on_done)));
}

CurlMulti::CurlMulti(asio::io_context& io, DoneFn on_done)
    : io_(io), on_done_(std::move(on_done)), multi_(curl_multi_init()), timer_(io) {
  if (multi_ == nullptr) return;
  MarkOpenDescriptorsCloseOnExec();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

// Close cancels a timer and releases descriptors, which throw only on a
// reactor gone wrong; ending the daemon then is right.
CurlMulti::~CurlMulti() { Close(); }  // NOLINT(bugprone-exception-escape)

bool CurlMulti::Add(CURL* easy) {
  return multi_ != nullptr && curl_multi_add_handle(multi_, easy) == CURLM_OK;
}

void CurlMulti::Remove(CURL* easy) {
  if (multi_ != nullptr) curl_multi_remove_handle(multi_, easy);
}

void CurlMulti::Close() {
  if (multi_ == nullptr) return;
  // Deregister from the reactor before curl closes the fds, so that an fd
  // number reused elsewhere is never watched on curl's behalf.
  while (!watches_.empty()) Forget(watches_.begin()->first);
  timer_.cancel();
  // Callbacks during cleanup see a null handle and do nothing.
  curl_multi_cleanup(std::exchange(multi_, nullptr));
}

int CurlMulti::OnSocket(CURL*, curl_socket_t fd, int what, void* self_ptr, void*) {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  if (self->multi_ == nullptr) return 0;
  if (what == CURL_POLL_REMOVE) {
    self->Forget(fd);
  } else {
    self->UpdateWatch(fd, what);
  }
  return 0;
}

int CurlMulti::OnTimer(CURLM*, long timeout_ms, void* self_ptr) {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  if (self->multi_ == nullptr) return 0;
  if (timeout_ms < 0) {
    self->timer_.cancel();
    return 0;
  }
  // Even a zero timeout goes through the timer: curl must not be re-entered
  // from its own callback.
  self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  self->timer_.async_wait([weak = self->weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto alive = weak.lock()) alive->Act(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void CurlMulti::UpdateWatch(curl_socket_t fd, int what) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) {
    auto watch = std::make_shared<Watch>(io_, fd);
    boost::system::error_code ec;
    watch->descriptor.assign(fd, ec);
    if (ec) return;  // curl's own timeouts end the transfer
    it = watches_.emplace(fd, std::move(watch)).first;
  }
  std::shared_ptr<Watch> watch = it->second;
  watch->what = what;
  // A wait no longer wanted stays outstanding; OnReady ignores it.
  if (what & CURL_POLL_IN) Arm(watch, false);
  if (what & CURL_POLL_OUT) Arm(watch, true);
}

void CurlMulti::Forget(curl_socket_t fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  Watch& watch = *it->second;
  watch.gone = true;
  boost::system::error_code ignored;
  watch.descriptor.cancel(ignored);  // outstanding waits complete as aborted
  watch.descriptor.release();
  watches_.erase(it);
}

void CurlMulti::Arm(const std::shared_ptr<Watch>& watch, bool write) {
  if (watch->armed[write]) return;
  watch->armed[write] = true;
  auto handler = [weak = weak_from_this(), watch, write](const boost::system::error_code& ec) {
    if (auto self = weak.lock()) self->OnReady(watch, write, ec);
  };
  // Asio's epoll reactor is edge-triggered and a wait is never tried before
  // it is queued. Curl may leave data unread, or a socket may already be
  // writable, and then no new edge comes: readiness that holds now is
  // delivered now, which gives curl the level-triggered view it expects.
  if (ReadyNow(watch->fd, write)) {
    asio::post(io_, [handler] { handler({}); });
    return;
  }
  using Wait = asio::posix::stream_descriptor::wait_type;
  watch->descriptor.async_wait(write ? Wait::wait_write : Wait::wait_read, std::move(handler));
}

void CurlMulti::OnReady(const std::shared_ptr<Watch>& watch, bool write,
                        const boost::system::error_code& ec) {
  watch->armed[write] = false;
  if (watch->gone || ec == asio::error::operation_aborted) return;
  const int wanted = write ? CURL_POLL_OUT : CURL_POLL_IN;
  if ((watch->what & wanted) == 0) return;
  Act(watch->fd, ec ? CURL_CSELECT_ERR : (write ? CURL_CSELECT_OUT : CURL_CSELECT_IN));
  if (!watch->gone && (watch->what & wanted) != 0) Arm(watch, write);
}

void CurlMulti::Act(curl_socket_t fd, int events) {
  if (multi_ == nullptr) return;
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  ReportDone();
}

void CurlMulti::ReportDone() {
  // Collected first: on_done_ removes handles, which must not happen while
  // curl walks its message queue.
  std::vector<std::pair<CURL*, CURLcode>> done;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg == CURLMSG_DONE) done.emplace_back(msg->easy_handle, msg->data.result);
  }
  for (auto [easy, result] : done) on_done_(easy, result);
}

}  // namespace keywarden
