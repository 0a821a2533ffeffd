// The one place Boost.Beast is included: the gateway's HTTP/1.1 request
// parser and its buffers. Asio comes first, from its own home.
#pragma once

// clang-format off: the order matters
#include "net/asio.h"
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/status.hpp>
// clang-format on

#include <string_view>

namespace keywarden {
namespace beast = boost::beast;
namespace http = boost::beast::http;
using TcpSocket = asio::ip::tcp::socket;
using TcpAcceptor = asio::ip::tcp::acceptor;
// Boost 1.74's Beast has its own string_view.
inline std::string_view StdView(beast::string_view view) { return {view.data(), view.size()}; }
}  // namespace keywarden
