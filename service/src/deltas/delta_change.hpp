// Conversion from the store's change-log entries to the wire's delta changes
// (sdk/delta.hpp). Every path that publishes changes (poll, WebSocket, SSE)
// goes through this one function, so they agree byte for byte.
#pragma once

#include <optional>

#include "banlist/sdk/delta.hpp"
#include "store/records.hpp"

namespace banlist::service {

// Returns the wire form of `entry`, or nullopt when its reason is not in the
// wire vocabulary of its op (a record written before reasons were validated);
// the caller treats that as a corrupt log entry.
std::optional<sdk::delta_change> to_delta_change(const change& entry);

}  // namespace banlist::service
