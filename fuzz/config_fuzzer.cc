// ParseConfig (keywarden/config.h) on arbitrary bytes, and ParseDuration on
// short inputs. Beyond "no crash": an accepted config holds only values its
// contract allows, and every duration in it survives FormatDuration and
// ParseDuration unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "check.h"
#include "keywarden/config.h"
#include "keywarden/slot.h"

namespace {

using keywarden::fuzz::Require;

void RequireDuration(int64_t seconds, const char* what) {
  Require(seconds > 0, what);
  auto again = keywarden::ParseDuration(keywarden::FormatDuration(seconds));
  Require(again && *again == seconds, "a duration does not survive Format and Parse");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size <= 40) {
    if (auto seconds = keywarden::ParseDuration(text)) {
      RequireDuration(*seconds, "ParseDuration accepted a non-positive duration");
    }
  }
  auto config = keywarden::ParseConfig(text);
  if (!config) {
    Require(config.error().code == keywarden::ErrorCode::kInvalidArgument,
            "a config rejected with other than kInvalidArgument");
    Require(config.error().message.starts_with("config.json: "),
            "an error that does not name the file");
    return 0;
  }
  Require(keywarden::IsValidRefPart(config->default_env), "an invalid default_env");
  const auto& v = config->validation;
  for (int64_t d :
       {v.revalidate_every, v.retry_min, v.retry_max, v.timeout, config->rotation.rotate_every,
        config->rotation.remind_before, config->rotation.grace, config->repeat_every}) {
    RequireDuration(d, "a non-positive duration in an accepted config");
  }
  Require(v.retry_min <= v.retry_max, "retry_min above retry_max");
  Require(v.concurrency_per_endpoint >= 1 && v.concurrency_per_endpoint <= 256,
          "concurrency out of range");
  Require(config->unlock == "file" || config->unlock == "passphrase", "an unknown unlock mode");
  Require(config->notify_command.empty() || !config->notify_command.front().empty(),
          "an empty notify command");
  for (const auto& [id, over] : config->providers) {
    if (over.activation_window) RequireDuration(*over.activation_window, "a bad activation window");
  }
  return 0;
}
