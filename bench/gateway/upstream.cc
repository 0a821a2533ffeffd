// gateway_upstream: the fast upstream of the gateway benchmark. The Python
// fake provider answers a few hundred requests a second; this answers tens
// of thousands on one thread, so the proxies, not the upstream, are what the
// benchmark measures.
//
// It speaks just enough DeepSeek for a slot pointed at it to become
// verified (GET /user/balance, GET /models, POST /chat/completions), and
// answers a chat completion either with a small JSON body or, when the
// request body asks for "stream": true, with an OpenAI-style SSE stream in
// chunked encoding. With --hold, a stream sends its headers and first event,
// then waits for POST /__release before the rest, so the benchmark can hold
// 1,000 streams open at once. Paths match on their ending, so any base-URL
// prefix works. A request whose Authorization is not "Bearer <--key>" gets
// 401, so a leg that forwards the wrong credential fails loudly.
//
//   gateway_upstream --port-file PATH --key KEY [--events N] [--hold]
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

#include "beast.h"

namespace keywarden::bench {
namespace {

struct Options {
  std::string port_file;
  std::string key;
  int events = 8;
  bool hold = false;
};

struct Shared {
  Options options;
  asio::steady_timer release;  // held streams wait on it; cancel() frees them all
  long released = 0;           // releases so far: a stream started before one does not wait
  long requests = 0;
  long streams = 0;
  explicit Shared(asio::io_context& io) : release(io, asio::steady_timer::time_point::max()) {}
};

std::string Response(int status, std::string_view reason, std::string_view body, bool keep_alive) {
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

std::string Chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

std::string StreamEvent(int i, bool last) {
  if (last) {
    return "data: "
           "{\"id\":\"bench\",\"object\":\"chat.completion.chunk\",\"model\":\"deepseek-chat\","
           "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
           "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":" +
           std::to_string(i) + ",\"total_tokens\":" + std::to_string(5 + i) +
           "}}\n\ndata: [DONE]\n\n";
  }
  return std::string(
             "data: {\"id\":\"bench\",\"object\":\"chat.completion.chunk\",\"model\":"
             "\"deepseek-chat\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"") +
         (i == 0 ? "ok" : " ok") + "\"},\"finish_reason\":null}]}\n\n";
}

bool EndsWith(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

asio::awaitable<void> Stream(tcp::socket& socket, Shared& shared) {
  ++shared.streams;
  const long generation = shared.released;
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      Chunk(StreamEvent(0, false));
  co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
  if (shared.options.hold && shared.released == generation) {
    boost::system::error_code ec;
    co_await shared.release.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  out.clear();
  for (int i = 1; i < shared.options.events; ++i) out += Chunk(StreamEvent(i, false));
  out += Chunk(StreamEvent(shared.options.events, true));
  out += "0\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
}

asio::awaitable<void> Session(tcp::socket socket, Shared& shared) {
  socket.set_option(tcp::no_delay(true));
  beast::flat_buffer buffer;
  try {
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(32 * 1024 * 1024);
      co_await http::async_read(socket, buffer, parser, asio::use_awaitable);
      const auto& request = parser.get();
      const bool keep_alive = request.keep_alive();
      const std::string_view target(request.target().data(), request.target().size());
      const std::string_view path = target.substr(0, target.find('?'));
      ++shared.requests;
      std::string out;
      const auto auth = request[http::field::authorization];
      const bool authorized =
          shared.options.key.empty() ||
          std::string_view(auth.data(), auth.size()) == "Bearer " + shared.options.key;
      if (request.method() == http::verb::post && path == "/__release") {
        ++shared.released;
        shared.release.cancel();
        out = Response(200, "OK", "{\"ok\":true}", keep_alive);
      } else if (request.method() == http::verb::get && path == "/__count") {
        out = Response(200, "OK",
                       "{\"requests\":" + std::to_string(shared.requests) +
                           ",\"streams\":" + std::to_string(shared.streams) + "}",
                       keep_alive);
      } else if (!authorized) {
        out = Response(401, "Unauthorized",
                       "{\"error\":{\"message\":\"Authentication Fails, Your api key is "
                       "invalid\",\"type\":\"authentication_error\"}}",
                       keep_alive);
      } else if (request.method() == http::verb::get && EndsWith(path, "/user/balance")) {
        out = Response(200, "OK",
                       "{\"is_available\":true,\"balance_infos\":[{\"currency\":\"CNY\","
                       "\"total_balance\":\"110.00\",\"granted_balance\":\"10.00\","
                       "\"topped_up_balance\":\"100.00\"}]}",
                       keep_alive);
      } else if (request.method() == http::verb::get && EndsWith(path, "/models")) {
        out = Response(200, "OK",
                       "{\"object\":\"list\",\"data\":[{\"id\":\"deepseek-chat\",\"object\":"
                       "\"model\",\"owned_by\":\"deepseek\"},{\"id\":\"deepseek-reasoner\","
                       "\"object\":\"model\",\"owned_by\":\"deepseek\"}]}",
                       keep_alive);
      } else if (request.method() == http::verb::post && EndsWith(path, "/chat/completions")) {
        const std::string& body = request.body();
        if (body.find("\"stream\":true") != std::string::npos ||
            body.find("\"stream\": true") != std::string::npos) {
          co_await Stream(socket, shared);
          if (!keep_alive) break;
          continue;
        }
        out = Response(200, "OK",
                       "{\"id\":\"bench\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
                       "\"deepseek-chat\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                       "\"assistant\",\"content\":\"ok\"},\"logprobs\":null,\"finish_reason\":"
                       "\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,"
                       "\"total_tokens\":6}}",
                       keep_alive);
      } else {
        out = Response(404, "Not Found", "{\"error\":{\"message\":\"Not Found\"}}", keep_alive);
      }
      co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
      if (!keep_alive) break;
    }
  } catch (const std::exception&) {
    // the peer went away or sent garbage: drop the connection
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor, Shared& shared) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), Session(std::move(socket), shared), asio::detached);
  }
}

int Main(int argc, char** argv) {
  asio::io_context io(1);
  Shared shared(io);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--port-file") {
      shared.options.port_file = next();
    } else if (arg == "--key") {
      shared.options.key = next();
    } else if (arg == "--events") {
      shared.options.events = std::max(1, std::stoi(next()));
    } else if (arg == "--hold") {
      shared.options.hold = true;
    } else {
      throw std::runtime_error("unknown argument " + arg);
    }
  }
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  acceptor.listen(4096);
  const int port = acceptor.local_endpoint().port();
  if (!shared.options.port_file.empty()) {
    const std::string tmp = shared.options.port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), shared.options.port_file.c_str());
  } else {
    std::printf("%d\n", port);
    std::fflush(stdout);
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  asio::co_spawn(io, Accept(acceptor, shared), asio::detached);
  io.run();
  return 0;
}

}  // namespace
}  // namespace keywarden::bench

int main(int argc, char** argv) {
  try {
    return keywarden::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gateway_upstream: error: %s\n", e.what());
    return 1;
  }
}
