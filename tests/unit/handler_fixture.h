// A test fixture: the daemon's request handler over a real SQLite store and
// keyring in a temporary directory, without a socket or an event loop.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "handlers/request_handler.h"
#include "keys/keyring.h"
#include "keywarden/crypto.h"
#include "support/temp_dir.h"

namespace keywarden {

// The daemon's request handler over a real store in a temporary directory,
// as the protocol fuzz target drives it.
class HandlerTest : public ::testing::Test {
 protected:
  explicit HandlerTest(HandlerOptions options = {}) {
    auto store = OpenSqliteStore(dir_ / "keywarden.db");
    EXPECT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    auto ring = Keyring::Open(*store_, master_);
    EXPECT_TRUE(ring) << ring.error().message;
    keyring_.emplace(std::move(*ring));
    handler_ = std::make_unique<RequestHandler>(*store_, config_, Catalogue::Builtin(), options,
                                                keyring_, nullptr);
  }
  ~HandlerTest() override {
    handler_.reset();
    keyring_.reset();
    store_.reset();
  }

  Result<Json> Call(std::string method, Json params) {
    Request request{1, std::move(method), std::move(params)};
    Result<Json> reply = Fail(ErrorCode::kInternal, "no reply");
    handler_->Handle(request, Peer{1000, 1000, 1, true},
                     [&](Result<Json> result) { reply = std::move(result); });
    return reply;
  }

  testing::TempDir temp_{"kw-handler"};
  std::filesystem::path dir_ = temp_.path();
  Config config_;
  SecretBuffer master_ = RandomKey();
  std::unique_ptr<Store> store_;
  std::optional<Keyring> keyring_;
  std::unique_ptr<RequestHandler> handler_;
};

}  // namespace keywarden
