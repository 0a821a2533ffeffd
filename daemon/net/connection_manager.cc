#include "net/connection_manager.h"

#include <algorithm>

#include "log.h"

namespace keywarden {

void ConnectionManager::Start(ConnectionPtr c) {
  if (connections_.size() >= max_) {
    log::Warning("connection cap reached, closing the longest-idle connection",
                 {{"cap", std::to_string(max_)}});
    StopIdlest();
  }
  connections_.insert(c);
  c->Start();
}

void ConnectionManager::Stop(ConnectionPtr c) {
  if (connections_.erase(c) > 0) c->Stop();
}

bool ConnectionManager::StopIdlest() {
  if (connections_.empty()) return false;
  auto idlest = std::min_element(connections_.begin(), connections_.end(),
                                 [](const ConnectionPtr& a, const ConnectionPtr& b) {
                                   return a->last_active() < b->last_active();
                                 });
  Stop(*idlest);
  return true;
}

void ConnectionManager::StopAll() {
  for (const ConnectionPtr& c : connections_) c->Stop();
  connections_.clear();
}

}  // namespace keywarden
