// instance_heartbeat: every instance_heartbeat_interval, this banlistd
// writes what GET /v1/status shows about it to bl:instances (its id, the
// seq it has applied, readiness, and the seqs its partner subscribers have
// acknowledged), so any instance can answer for all of them. Entries
// silent for kInstanceDropAfter are removed by the next writer.
//
// Thread-safety: the task runs on the given executor; it reads the
// service_state's atomics and the hub (internally synchronized).
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/any_io_executor.hpp>

namespace banlist::service {

class service_state;

inline constexpr std::chrono::milliseconds kInstanceStaleAfter{30000};
inline constexpr std::chrono::milliseconds kInstanceDropAfter{600000};

// This instance's heartbeat payload (JSON) as of now.
std::string instance_payload(service_state& state);

// Starts the heartbeat loop; it ends when the state is shutting down.
void start_instance_heartbeat(service_state& state, boost::asio::any_io_executor executor);

}  // namespace banlist::service
