// libFuzzer target: every decoder of delta data on arbitrary bytes — the
// binary batch, the JSON batch and both subscription message decoders — must
// return a value or an error, never crash, leak or read out of bounds.
// Whatever they accept must be valid and re-encode to an equal batch (the
// binary encoding is canonical: to the same bytes), and applying it to a
// replica either succeeds or leaves the replica unchanged.
//
// Random bytes almost never carry a valid checksum, so binary input is also
// tried resealed (checksum recomputed as docs/protocol.md (section 3) defines it).
#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "banlist/sdk/delta_binary.hpp"
#include "banlist/sdk/delta_json.hpp"
#include "banlist/sdk/replica_set.hpp"
#include "banlist/sdk/subscription.hpp"

namespace {

using namespace banlist::sdk;

void check(bool condition) {
  if (!condition)
    std::abort();
}

void exercise_batch(const delta_batch& batch) {
  check(validate(batch).has_value());
  auto json = decode_delta_json(encode_delta_json(batch));
  check(json.has_value() && *json == batch);
  auto message = decode_server_message(encode_changes_message(batch));
  check(message.has_value() && std::get<delta_batch>(*message) == batch);

  replica_set replica(batch.epoch);
  const auto before_seq = replica.seq();
  const auto before_digest = replica.digest();
  if (!replica.apply(batch)) {
    check(replica.seq() == before_seq && replica.digest() == before_digest);
    check(replica.size() == 0);
  } else {
    check(replica.seq() == batch.to && replica.digest() == batch.digest);
  }
}

void exercise_binary(std::span<const std::uint8_t> bytes) {
  auto batch = decode_delta_binary(bytes);
  if (!batch)
    return;
  check(encode_delta_binary(*batch) == std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  exercise_batch(*batch);
}

void exercise_text(std::string_view text) {
  if (auto batch = decode_delta_json(text))
    exercise_batch(*batch);
  if (auto message = decode_server_message(text)) {
    if (auto* beat = std::get_if<heartbeat>(&*message)) {
      auto again = decode_server_message(encode_heartbeat_message(*beat));
      check(again && std::get<heartbeat>(*again) == *beat);
    } else if (auto* reset = std::get_if<reset_notice>(&*message)) {
      auto again = decode_server_message(encode_reset_message(*reset));
      check(again && std::get<reset_notice>(*again) == *reset);
    } else {
      exercise_batch(std::get<delta_batch>(*message));
    }
  }
  if (auto ack = decode_client_message(text)) {
    auto again = decode_client_message(encode_ack_message(*ack));
    check(again && *again == *ack);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  exercise_binary(bytes);
  exercise_text(std::string_view(reinterpret_cast<const char*>(data), size));
  if (size >= delta_format::kHeaderBytes) {
    std::vector<std::uint8_t> resealed(bytes.begin(), bytes.end());
    std::vector<std::uint8_t> covered(resealed.begin(), resealed.begin() + 8);
    covered.insert(covered.end(), resealed.begin() + 16, resealed.end());
    const std::uint64_t sum = XXH3_64bits(covered.data(), covered.size());
    for (int b = 0; b < 8; ++b)
      resealed[delta_format::kChecksumOffset + b] = static_cast<std::uint8_t>(sum >> (8 * b));
    exercise_binary(resealed);
  }
  return 0;
}
