// Binary batch check, format version 1 (check_binary.hpp, docs/protocol.md).
#include "banlist/sdk/check_binary.hpp"

#include <algorithm>
#include <utility>

#include "banlist/sdk/reason.hpp"
#include "banlist/sdk/wire_errors.hpp"
#include "little_endian.hpp"

namespace banlist::sdk {
namespace {

namespace fmt = check_format;
using detail::get_le;
using detail::put_le;

std::unexpected<std::error_code> fail(wire_errc e) noexcept {
  return std::unexpected(make_error_code(e));
}

bool all_zero(std::span<const std::uint8_t> bytes) noexcept {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// The framing both messages share: magic, version, and a count whose items
// fill the rest exactly. Returns the count.
std::expected<std::size_t, std::error_code> read_frame(std::span<const std::uint8_t> bytes,
                                                       const std::array<std::uint8_t, 4>& magic,
                                                       std::size_t header_bytes,
                                                       std::size_t count_offset,
                                                       std::size_t item_bytes,
                                                       std::size_t max_items) {
  if (bytes.size() < header_bytes)
    return fail(wire_errc::truncated);
  if (!std::equal(magic.begin(), magic.end(), bytes.begin()))
    return fail(wire_errc::bad_magic);
  if (bytes[4] != fmt::kVersion)
    return fail(wire_errc::unsupported_version);
  const std::size_t n = get_le<std::uint32_t>(bytes.data() + count_offset);
  if (n > max_items)
    return fail(wire_errc::too_large);
  const std::size_t expected = header_bytes + n * item_bytes;
  if (bytes.size() < expected)
    return fail(wire_errc::truncated);
  if (bytes.size() > expected)
    return fail(wire_errc::bad_length);
  return n;
}

}  // namespace

std::vector<std::uint8_t> encode_check_request(std::span<const fingerprint> fps) {
  std::vector<std::uint8_t> out(fmt::kRequestHeaderBytes + fps.size() * fmt::kRequestItemBytes, 0);
  std::uint8_t* p = out.data();
  std::copy(fmt::kRequestMagic.begin(), fmt::kRequestMagic.end(), p);
  p[4] = fmt::kVersion;
  put_le<std::uint32_t>(p + 8, static_cast<std::uint32_t>(fps.size()));
  std::uint8_t* item = p + fmt::kRequestHeaderBytes;
  for (const fingerprint& fp : fps) {
    put_le<std::uint64_t>(item, fp.high);
    put_le<std::uint64_t>(item + 8, fp.low);
    item += fmt::kRequestItemBytes;
  }
  return out;
}

std::expected<std::vector<fingerprint>, std::error_code> decode_check_request(
    std::span<const std::uint8_t> bytes, std::size_t max_items) {
  auto n = read_frame(bytes, fmt::kRequestMagic, fmt::kRequestHeaderBytes, 8,
                      fmt::kRequestItemBytes, max_items);
  if (!n)
    return std::unexpected(n.error());
  if (!all_zero(bytes.subspan(5, 3)) || !all_zero(bytes.subspan(12, 4)))
    return fail(wire_errc::bad_reserved);
  std::vector<fingerprint> fps(*n);
  const std::uint8_t* item = bytes.data() + fmt::kRequestHeaderBytes;
  for (fingerprint& fp : fps) {
    fp.high = get_le<std::uint64_t>(item);
    fp.low = get_le<std::uint64_t>(item + 8);
    item += fmt::kRequestItemBytes;
  }
  return fps;
}

void encode_check_response(const check_results& results, std::vector<std::uint8_t>& out) {
  const std::size_t n = results.verdicts.size();
  out.assign(fmt::kResponseHeaderBytes + n * fmt::kResponseItemBytes, 0);
  std::uint8_t* p = out.data();
  std::copy(fmt::kResponseMagic.begin(), fmt::kResponseMagic.end(), p);
  p[4] = fmt::kVersion;
  p[5] = results.degraded ? fmt::kFlagDegraded : 0;
  put_le<std::uint64_t>(p + 8, results.seq);
  put_le<std::uint32_t>(p + 16, static_cast<std::uint32_t>(n));
  std::uint8_t* item = p + fmt::kResponseHeaderBytes;
  for (const check_verdict& v : results.verdicts) {
    item[0] = std::to_underlying(v.status);
    item[1] = v.reason;
    item += fmt::kResponseItemBytes;
  }
}

std::expected<check_results, std::error_code> decode_check_response(
    std::span<const std::uint8_t> bytes) {
  // A response answers one request, so it never holds more than a u32 count
  // of items; the length check below bounds the allocation by the input.
  auto n = read_frame(bytes, fmt::kResponseMagic, fmt::kResponseHeaderBytes, 16,
                      fmt::kResponseItemBytes, UINT32_MAX);
  if (!n)
    return std::unexpected(n.error());
  if ((bytes[5] & ~fmt::kFlagDegraded) != 0 || !all_zero(bytes.subspan(6, 2)) ||
      !all_zero(bytes.subspan(20, 4))) {
    return fail(wire_errc::bad_reserved);
  }
  check_results results;
  results.degraded = (bytes[5] & fmt::kFlagDegraded) != 0;
  results.seq = get_le<std::uint64_t>(bytes.data() + 8);
  results.verdicts.resize(*n);
  const std::uint8_t* item = bytes.data() + fmt::kResponseHeaderBytes;
  for (check_verdict& v : results.verdicts) {
    const std::uint8_t status = item[0];
    const std::uint8_t reason = item[1];
    item += fmt::kResponseItemBytes;
    if (status > std::to_underlying(check_status::banned_unconfirmed))
      return fail(wire_errc::bad_value);
    v.status = static_cast<check_status>(status);
    if (v.status == check_status::banned ? !ban_reason_from_code(reason) : reason != 0)
      return fail(wire_errc::bad_value);
    v.reason = reason;
  }
  return results;
}

}  // namespace banlist::sdk
