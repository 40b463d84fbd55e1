// workloads: the request makers of the HTTP subcommands (check, batch-check,
// ban) and the generator of realistic, unique ban fields shared with `seed`.
//
// Thread-safety: each object belongs to one connection (or one seeding
// coroutine); nothing is shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http_load.hpp"

namespace banlist::banbench {

// splitmix64: fast, seedable, good enough to make unique-looking identifiers.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() noexcept;
  // Returns 32 random lowercase hex digits (a fingerprint that is almost
  // certainly not banned).
  std::string fingerprint_hex();

 private:
  std::uint64_t state_;
};

// The fields of one generated ban. `number` makes the identifier unique
// within a run; `run_id` separates runs.
struct generated_ban {
  std::string type;  // "phone" or "email"
  std::string value;
  std::string reason;  // a name from sdk/reason.hpp
  std::string note;    // ~40 characters
  std::string case_id;
  std::string source;
  bool is_public = false;
};
generated_ban make_ban(std::uint64_t run_id, std::uint64_t number);

// GET /v1/check?fp=...: random fingerprints (negatives), or the given ones
// (positives, e.g. a file written by `seed --fps-out`), cycled.
std::unique_ptr<request_maker> make_check_maker(
    std::uint64_t seed, std::shared_ptr<const std::vector<std::string>> fps);

// POST /v1/check with `items` random fingerprints per request, as JSON or in
// the binary form (sdk/check_binary.hpp). A few bodies are built up front and
// cycled, so the client spends its CPU on I/O.
std::unique_ptr<request_maker> make_batch_check_maker(std::uint64_t seed, std::size_t items,
                                                      bool binary);

// POST /v1/bans with unique identifiers: connection `connection` of run
// `run_id` numbers its bans connection, connection + stride, ...
std::unique_ptr<request_maker> make_ban_maker(std::uint64_t run_id, std::size_t connection,
                                              std::size_t stride);

}  // namespace banlist::banbench
