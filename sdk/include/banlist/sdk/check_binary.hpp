// The binary form of a batch check (POST /v1/check), format version 1, media
// type application/vnd.banlist.check.v1 (docs/protocol.md, "Batch check").
// For callers that check many fingerprints at once: no per-item JSON on
// either side, 16 bytes in and 2 bytes out per fingerprint.
//
// Request:                              Response:
//   offset size field                     offset size field
//        0    4 magic "BLCQ"                   0    4 magic "BLCR"
//        4    1 format version (1)             4    1 format version (1)
//        5    3 reserved, zero                 5    1 flags: bit 0 = degraded
//        8    4 count n (u32)                  6    2 reserved, zero
//       12    4 reserved, zero                 8    8 seq of the answering filter
//       16  16n fp i: high u64, low u64       16    4 count n (u32)
//                                             20    4 reserved, zero
//                                             24   2n item i: status u8, reason code u8
//
// Little-endian like every banlist format. No checksum: both travel inside
// one HTTP message over TCP (or TLS), and every length is checked exactly.
// Pure functions: safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "banlist/sdk/identifier.hpp"

namespace banlist::sdk {

inline constexpr std::string_view kCheckBinaryMediaType = "application/vnd.banlist.check.v1";

namespace check_format {
inline constexpr std::array<std::uint8_t, 4> kRequestMagic = {'B', 'L', 'C', 'Q'};
inline constexpr std::array<std::uint8_t, 4> kResponseMagic = {'B', 'L', 'C', 'R'};
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::uint8_t kFlagDegraded = 0x01;
inline constexpr std::size_t kRequestHeaderBytes = 16;
inline constexpr std::size_t kRequestItemBytes = 16;
inline constexpr std::size_t kResponseHeaderBytes = 24;
inline constexpr std::size_t kResponseItemBytes = 2;
}  // namespace check_format

// What the server knows about one fingerprint.
enum class check_status : std::uint8_t {
  not_banned = 0,
  banned = 1,              // confirmed in Redis; the reason code is set
  banned_unconfirmed = 2,  // a filter hit Redis could not confirm (degraded)
};

struct check_verdict {
  check_status status = check_status::not_banned;
  std::uint8_t reason = 0;  // ban reason code when status is banned, else 0
};

struct check_results {
  std::uint64_t seq = 0;
  bool degraded = false;
  std::vector<check_verdict> verdicts;  // one per requested fingerprint, in order
};

std::vector<std::uint8_t> encode_check_request(std::span<const fingerprint> fps);

// Reads a request from untrusted bytes: length >= header (truncated), magic
// (bad_magic), version (unsupported_version), reserved bytes (bad_reserved),
// count <= max_items (too_large), length == 16 + 16 n (truncated /
// bad_length). Allocates only after the length matched.
std::expected<std::vector<fingerprint>, std::error_code> decode_check_request(
    std::span<const std::uint8_t> bytes, std::size_t max_items);

// Appends the encoding of `results` to `out` (which it clears first).
void encode_check_response(const check_results& results, std::vector<std::uint8_t>& out);

// Reads a response from untrusted bytes; the same framing checks as the
// request, plus status codes above 2, a reason on a non-banned item, and an
// unknown ban reason code (bad_value).
std::expected<check_results, std::error_code> decode_check_response(
    std::span<const std::uint8_t> bytes);

}  // namespace banlist::sdk
