// Everything the CLI prints goes through here: data on stdout, errors,
// warnings and hints on stderr in age's style ("keywarden: error: …").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keywarden/protocol.h"
#include "keywarden/slot.h"
#include "keywarden/slot_object.h"

namespace keywarden::cli {

void PrintError(std::string_view message, std::string_view hint = {});
void PrintWarning(std::string_view message);
void PrintHint(std::string_view hint);
// Prints the warnings of a daemon result to stderr.
void PrintWarnings(const std::vector<Diagnosis>& warnings);

void PrintJson(const Json& value);

// Human renderings of the daemon's replies (docs/protocol.md).
void PrintSlotTable(const std::vector<SlotObject>& slots);
void PrintSlotDetail(const SlotObject& slot);
// One version of a slot: state, checks table and diagnoses.
void PrintVersionDetail(const VersionObject& version);
// A table of checks, then the diagnoses, one a line.
void PrintChecks(const std::vector<Check>& checks, const std::vector<Diagnosis>& diagnoses);
void PrintEvents(const Json& events);
void PrintStatus(const Json& status);
void PrintProviders(const Json& providers);

// Column-aligned rows; the first row is the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace keywarden::cli
