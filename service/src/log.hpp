// log: one line per event to stderr, with a UTC timestamp. Callers pass
// route patterns, fingerprints and request ids, never raw identifiers or
// request targets (a check's query string holds the identifier).
// Thread-safe: each line is written with one fwrite.
#pragma once

#include <string_view>

namespace banlist::service {

enum class log_level { info, warning, error };

void log_line(log_level level, std::string_view message);

}  // namespace banlist::service
