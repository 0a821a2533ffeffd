// SqliteStore: the gateway's tokens (TokenStore), in gateway_tokens
// (schema/009_gateway_tokens.sql). A token's slot list is stored as its
// names joined by commas, which no slot name contains.
#include <SQLiteCpp/Statement.h>

#include <string>

#include "keywarden/slot.h"
#include "store/rows.h"
#include "store/sqlite_store.h"

namespace keywarden::store {
namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

std::vector<std::string> SplitNames(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

Status ValidateToken(const GatewayToken& token) {
  if (!IsValidRefPart(token.name)) {
    return Fail(ErrorCode::kInvalidArgument, "invalid token name \"" + token.name + "\"");
  }
  if (!IsValidRefPart(token.env)) {
    return Fail(ErrorCode::kInvalidArgument, "invalid env \"" + token.env + "\"");
  }
  for (const std::string& slot : token.slots) {
    if (!IsValidRefPart(slot)) {
      return Fail(ErrorCode::kInvalidArgument, "invalid slot name \"" + slot + "\"");
    }
  }
  if (token.hash.size() != kKeyBytes) {
    return Fail(ErrorCode::kInvalidArgument, "a token hash is 32 bytes");
  }
  return {};
}

}  // namespace

Status SqliteStore::AddToken(const GatewayToken& token, const Event& event) {
  if (Status valid = ValidateToken(token); !valid) return valid;
  return InTransaction(Access::kWrite, "add token " + token.name, [&](Connection& db) -> Status {
    SQLite::Statement insert(
        db,
        "INSERT INTO gateway_tokens (owner_uid, name, env, slots, hash, created_at, expires_at) "
        "VALUES (:owner, :name, :env, :slots, :hash, :created, :expires)");
    insert.bind(":owner", static_cast<int64_t>(token.owner_uid));
    insert.bind(":name", token.name);
    insert.bind(":env", token.env);
    insert.bind(":slots", JoinNames(token.slots));
    insert.bind(":hash", token.hash.data(), static_cast<int>(token.hash.size()));
    insert.bind(":created", token.created_at);
    if (token.expires_at) {
      insert.bind(":expires", *token.expires_at);
    } else {
      insert.bind(":expires");
    }
    if (!InsertUnlessDuplicate(insert)) {
      return Fail(ErrorCode::kAlreadyExists, "token " + token.name + " already exists");
    }
    InsertEvent(db, event);
    return {};
  });
}

Result<std::vector<GatewayToken>> SqliteStore::ListTokens(std::optional<uint32_t> owner) {
  return InTransaction(
      Access::kRead, "list tokens", [&](Connection& db) -> Result<std::vector<GatewayToken>> {
        SQLite::Statement select(
            db,
            "SELECT owner_uid, name, env, slots, hash, created_at, expires_at FROM gateway_tokens "
            "WHERE :owner IS NULL OR owner_uid = :owner ORDER BY owner_uid, name");
        if (owner) {
          select.bind(":owner", static_cast<int64_t>(*owner));
        } else {
          select.bind(":owner");
        }
        std::vector<GatewayToken> tokens;
        while (select.executeStep()) {
          GatewayToken token;
          token.owner_uid = static_cast<uint32_t>(select.getColumn(0).getInt64());
          token.name = select.getColumn(1).getString();
          token.env = select.getColumn(2).getString();
          token.slots = SplitNames(select.getColumn(3).getString());
          const SQLite::Column hash = select.getColumn(4);
          const auto* bytes = static_cast<const uint8_t*>(hash.getBlob());
          token.hash.assign(bytes, bytes + hash.getBytes());
          token.created_at = select.getColumn(5).getInt64();
          if (!select.getColumn(6).isNull()) token.expires_at = select.getColumn(6).getInt64();
          tokens.push_back(std::move(token));
        }
        return tokens;
      });
}

Status SqliteStore::RemoveToken(uint32_t owner, std::string_view name, const Event& event) {
  const std::string text(name);
  return InTransaction(Access::kWrite, "remove token " + text, [&](Connection& db) -> Status {
    SQLite::Statement remove(
        db, "DELETE FROM gateway_tokens WHERE owner_uid = :owner AND name = :name");
    remove.bind(":owner", static_cast<int64_t>(owner));
    remove.bind(":name", text);
    if (remove.exec() == 0) return Fail(ErrorCode::kNotFound, "no token " + text);
    InsertEvent(db, event);
    return {};
  });
}

}  // namespace keywarden::store
