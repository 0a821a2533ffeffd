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
// Writes all of `bytes` to standard output (fd 1, unbuffered: a secret
// goes from secure memory to the fd, no stream buffer holds it); false on
// a write error.
bool WriteStdout(std::string_view bytes);

// Colour: only for a stream that is a terminal, never when NO_COLOR is set
// to anything but "" (https://no-color.org) or TERM is "dumb".
bool ColourOn(int fd);
enum class Colour { kRed, kGreen, kYellow, kBold };
// `text` wrapped in the SGR codes of `colour` when `on`, else as is.
std::string Paint(std::string_view text, Colour colour, bool on);

// The columns a table on stdout may take: 0 (no limit) when stdout is not
// a terminal; else COLUMNS when it is a positive number, else the
// terminal's width (TIOCGWINSZ), else 80.
size_t OutputWidth();
// The columns `text` takes on a terminal: UTF-8 code points, escape
// sequences (colour) not counted.
size_t DisplayWidth(std::string_view text);
// `text` cut to at most `width` columns, its end replaced by "…" when cut;
// as is when `width` is 0.
std::string Ellipsize(std::string_view text, size_t width);

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

// Column-aligned rows; the first row is the header. With a `width` (see
// OutputWidth), the last column, the free text of every table, is
// shortened with "…" so that each line fits, down to 8 columns.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows, size_t width = 0);

}  // namespace keywarden::cli
