// Test support for the subscription tests: a replica fed from stream
// messages, and moderator actions through the HTTP API with valid reasons.
#pragma once

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <variant>

#include "banlist/sdk/replica_set.hpp"
#include "banlist/sdk/subscription.hpp"
#include "service_fixture.hpp"

namespace banlist::test {

// Bans a fresh e-mail address; returns the ban's seq (fp in *fp).
inline std::uint64_t ban_email(http_client& c, const std::string& moderator,
                               const std::string& email, std::string* fp = nullptr) {
  auto r = c.post("/v1/bans", moderator,
                  R"({"type":"email","value":")" + email + R"(","reason":"telecom_fraud"})");
  if (r.status != 201)
    throw std::runtime_error("ban " + email + ": " + std::to_string(r.status) + " " + r.body);
  if (fp)
    *fp = json_string(r, "/fp");
  std::uint64_t seq = 0;
  if (r.json().at_pointer("/seq").get(seq))
    throw std::runtime_error("ban: no seq");
  return seq;
}

inline std::uint64_t lift_fp(http_client& c, const std::string& moderator, const std::string& fp) {
  auto r = c.del("/v1/bans/" + fp + "?reason=appeal_granted", moderator);
  if (r.status != 200)
    throw std::runtime_error("lift: " + std::to_string(r.status) + " " + r.body);
  std::uint64_t seq = 0;
  if (r.json().at_pointer("/seq").get(seq))
    throw std::runtime_error("lift: no seq");
  return seq;
}

// Decodes one server message; throws on a malformed one.
inline sdk::server_message decode(const std::string& text) {
  auto m = sdk::decode_server_message(text);
  if (!m)
    throw std::runtime_error("undecodable stream message: " + m.error().message() + ": " + text);
  return std::move(*m);
}

inline std::set<std::string> replica_fps(const sdk::replica_set& replica) {
  std::set<std::string> out;
  for (const auto& e : replica.sorted_entries())
    out.insert(e.fp.to_hex());
  return out;
}

}  // namespace banlist::test
