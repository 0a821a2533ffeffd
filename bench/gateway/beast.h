// The one place the gateway benchmark includes Boost (Asio and Beast): its
// fast upstream and its load generator speak HTTP/1.1 through Beast. Boost
// 1.74's awaitable.hpp misses <utility> under g++ 12 in C++20/23 mode, so
// it comes first (as in daemon/net/asio.h).
#pragma once

// clang-format off: the order matters
#include <utility>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

namespace keywarden::bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
}  // namespace keywarden::bench
