// Owns the open connections so that shutdown can stop them all in one place.
#pragma once

#include <cstddef>
#include <set>

#include "net/connection.h"

namespace keywarden {

class ConnectionManager {
 public:
  explicit ConnectionManager(size_t max_connections) : max_(max_connections) {}
  ConnectionManager(const ConnectionManager&) = delete;
  ConnectionManager& operator=(const ConnectionManager&) = delete;

  // Adds and starts `c`. At the cap, the longest-idle connection is closed
  // first, so a hostile client holding many idle sockets cannot lock out
  // a legitimate one.
  void Start(ConnectionPtr c);
  void Stop(ConnectionPtr c);
  // Closes the longest-idle connection; false if there is none.
  bool StopIdlest();
  void StopAll();
  size_t size() const { return connections_.size(); }

 private:
  size_t max_;
  std::set<ConnectionPtr> connections_;
};

}  // namespace keywarden
