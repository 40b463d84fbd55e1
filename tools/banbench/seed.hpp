// seed: loads N generated bans into a list through the store library's ban
// script (service/src/store), the same code and Lua script banlistd runs for
// POST /v1/bans, with many bans in flight on the store's pipelined
// connection. Nothing is written around the script.
//
// Thread-safety: runs its own io_context on the calling thread.
#pragma once

#include "options.hpp"

namespace banlist::banbench {

// Returns the process exit status.
int run_seed(const options& opts);

}  // namespace banlist::banbench
