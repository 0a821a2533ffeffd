// The one place Asio is included. Boost 1.74's awaitable.hpp misses
// <utility> under g++ 12 in C++20/23 mode, so it comes first.
#pragma once

// clang-format off: the order matters
#include <utility>
#include <boost/asio.hpp>
// clang-format on

namespace keywarden {
namespace asio = boost::asio;
using UnixSocket = asio::local::stream_protocol::socket;
using UnixAcceptor = asio::local::stream_protocol::acceptor;
}  // namespace keywarden
