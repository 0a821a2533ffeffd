// The daemon's protocol line parser and request dispatch: each input is a
// session of request lines, handled as Connection::OnLine does, by the real
// RequestHandler over a real SQLite store and keyring (a fresh database per
// input, in one temporary directory per process, on /dev/shm when there is
// one). Validation is not running (as in a handler built without it), so no
// input reaches the network: slot.validate and key.check answer
// `unavailable` after their own checks. The peer is chosen by the request
// id: a numeric id modulo 3 gives root (admin), uid 1000 or uid 1001, in a
// system-mode daemon.
// Beyond "no crash": every request gets exactly one reply, at once; every
// reply is one line that parses back with the request's id; no reply says
// internal, integrity or io; and no reply but slot.get's quotes a secret
// that an earlier line of the session stored.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "handlers/request_handler.h"
#include "keys/keyring.h"
#include "keywarden/config.h"
#include "keywarden/crypto.h"
#include "keywarden/protocol.h"
#include "keywarden/providers.h"
#include "keywarden/store.h"
#include "support/temp_dir.h"

namespace {

using keywarden::fuzz::Require;

namespace fs = std::filesystem;
using namespace keywarden;

// One daemon's state: lives for the whole process, its database replaced
// for every input so that an input replays alone exactly as it ran.
struct Daemon {
  testing::TempDir temp{"kw-protocol-fuzz", Scratch()};
  fs::path dir = temp.path();
  fs::path db_file = dir / "keywarden.db";
  Config config;
  std::unique_ptr<Store> store;
  std::optional<Keyring> keyring;
  std::unique_ptr<RequestHandler> handler;

  // /dev/shm when there is one: a database per input is written often.
  static fs::path Scratch() {
    std::error_code ec;
    return fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
               ? fs::path("/dev/shm")
               : fs::temp_directory_path();
  }
  ~Daemon() {
    handler.reset();
    keyring.reset();
    store.reset();
  }

  static Daemon& Get() {
    static Daemon daemon;
    return daemon;
  }

  // A copy of a database made once, with its migrations applied and its
  // data key stored, is much cheaper than a new one.
  void Reset() {
    handler.reset();
    keyring.reset();
    store.reset();
    static const SecretBuffer master = RandomKey();
    static const fs::path pristine = [this] {
      fs::path file = dir / "pristine.db";
      auto made = OpenSqliteStore(file);
      Require(made.has_value(), "cannot create the database");
      Require(Keyring::Open(**made, master).has_value(), "cannot create the keyring");
      return file;  // closing the store checkpoints its WAL into the file
    }();
    std::error_code ec;
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(db_file.string() + suffix, ec);
    fs::copy_file(pristine, db_file, fs::copy_options::overwrite_existing, ec);
    Require(!ec, "cannot copy the database");
    auto opened = OpenSqliteStore(db_file);
    Require(opened.has_value(), "cannot open the database");
    store = std::move(*opened);
    auto ring = Keyring::Open(*store, master);
    Require(ring.has_value(), "cannot open the keyring");
    keyring.emplace(std::move(*ring));
    HandlerOptions options;
    options.system_mode = true;
    options.db_file = db_file;
    options.socket_file = dir / "keywarden.sock";
    options.master_key_origin = "state";
    handler = std::make_unique<RequestHandler>(*store, config, Catalogue::Builtin(), options,
                                               keyring, /*validation=*/nullptr);
  }
};

Peer PeerFor(const Json& id) {
  uint64_t n = 0;
  if (id.is_number_unsigned()) n = id.get<uint64_t>();
  if (id.is_number_integer() && !id.is_number_unsigned()) {
    n = static_cast<uint64_t>(id.get<int64_t>());
  }
  switch (n % 3) {
    case 0:
      return Peer{0, 0, 1, true};
    case 1:
      return Peer{1000, 1000, 2, false};
    default:
      return Peer{1001, 1001, 3, false};
  }
}

bool IsBadCode(ErrorCode code) {
  return code == ErrorCode::kInternal || code == ErrorCode::kIntegrity || code == ErrorCode::kIo;
}

void CheckReply(const std::string& reply, const Json& id, std::string_view line,
                const std::string& method, const std::vector<std::string>& secrets) {
  Require(reply.ends_with('\n') && reply.find('\n') == reply.size() - 1,
          "a reply that is not one line");
  std::string_view body(reply.data(), reply.size() - 1);
  auto parsed = ParseResponse(body, id);
  if (!parsed) Require(!IsBadCode(parsed.error().code), "a reply of internal, integrity or io");
  if (method == "slot.get") return;
  for (const std::string& secret : secrets) {
    // A secret the line itself names elsewhere (say, as a ref) may be echoed.
    if (line.find(secret) != std::string_view::npos) continue;
    Require(body.find(secret) == std::string_view::npos, "a reply quotes a stored secret");
  }
}

// Handles one line as Connection::OnLine does.
void HandleLine(Daemon& daemon, std::string_view line, std::vector<std::string>& secrets) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Json id = nullptr;
  Result<Request> request = ParseRequest(line, &id);
  if (!request) {
    Require(request.error().code == ErrorCode::kProtocol, "a parse error that is not protocol");
    CheckReply(EncodeError(id, request.error()), id, line, "", secrets);
    return;
  }
  std::string secret;
  if (auto it = request->params.find("secret"); it != request->params.end() && it->is_string()) {
    secret = it->get<std::string>();
  }
  const std::string method = request->method;
  const Json request_id = request->id;
  int replies = 0;
  std::string reply;
  bool stored = false;
  daemon.handler->Handle(*request, PeerFor(request_id), [&](Result<Json> result) {
    ++replies;
    if (!result) {
      Require(!IsBadCode(result.error().code), "a reply of internal, integrity or io");
      reply = EncodeError(request_id, result.error());
      return;
    }
    stored = true;
    reply = EncodeResult(request_id, *result);
  });
  Require(replies == 1, "a request without exactly one reply");
  // When replaying an input by hand, KEYWARDEN_FUZZ_PRINT=1 shows the session.
  static const bool print = std::getenv("KEYWARDEN_FUZZ_PRINT") != nullptr;
  if (print) {
    std::fprintf(stderr, "> %.*s\n< %s", static_cast<int>(line.size()), line.data(), reply.c_str());
  }
  CheckReply(reply, request_id, line, method, secrets);
  // Only a secret long enough not to be a word of some message is watched.
  if (stored && secret.size() >= 16 && (method == "slot.add" || method == "slot.rotate")) {
    secrets.push_back(secret);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Daemon& daemon = Daemon::Get();
  daemon.Reset();
  std::vector<std::string> secrets;
  while (!input.empty()) {
    size_t eol = input.find('\n');
    std::string_view line = input.substr(0, eol);
    input.remove_prefix(eol == std::string_view::npos ? input.size() : eol + 1);
    // The connection refuses longer lines before parsing them.
    if (line.size() + 1 > kMaxLineBytes) continue;
    HandleLine(daemon, line, secrets);
  }
  return 0;
}
