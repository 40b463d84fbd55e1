// Serialization of filter, format version 1 (format.hpp, docs/protocol.md (section 2)).
#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <bit>

#include "banlist/bloom/filter.hpp"
#include "banlist/bloom/format.hpp"
#include "banlist/bloom/layout.hpp"
#include "sizing.hpp"

namespace banlist::bloom {
namespace {

void put_u64(std::uint8_t* out, std::uint64_t value) noexcept {
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

std::uint64_t get_u64(const std::uint8_t* in) noexcept {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = (value << 8) | in[i];
  return value;
}

std::uint64_t checksum(std::span<const std::uint8_t> bytes) noexcept {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, bytes.data(), format::kChecksummedHeaderBytes);
  XXH3_64bits_update(&state, bytes.data() + format::kHeaderBytes,
                     bytes.size() - format::kHeaderBytes);
  return XXH3_64bits_digest(&state);
}

}  // namespace

std::vector<std::uint8_t> filter::serialize() const {
  const std::size_t words = static_cast<std::size_t>(block_count_) * kWordsPerBlock;
  std::vector<std::uint8_t> bytes(format::kHeaderBytes + words * 8);
  std::uint8_t* out = bytes.data();
  std::copy(format::kMagic.begin(), format::kMagic.end(), out + format::kMagicOffset);
  out[format::kVersionOffset] = static_cast<std::uint8_t>(format::kVersion & 0xff);
  out[format::kVersionOffset + 1] = static_cast<std::uint8_t>(format::kVersion >> 8);
  out[format::kLog2BlockBitsOffset] = kLog2BlockBits;
  out[format::kProbesOffset] = static_cast<std::uint8_t>(probes_);
  put_u64(out + format::kBlockCountOffset, block_count_);
  put_u64(out + format::kItemCountOffset, item_count());
  put_u64(out + format::kSeedOffset, seed_);
  std::uint8_t* payload = out + format::kHeaderBytes;
  for (std::size_t i = 0; i < words; ++i) {
    // Inserts may be running: read each word atomically.
    const std::uint64_t word =
        std::atomic_ref<std::uint64_t>(words_[i]).load(std::memory_order_relaxed);
    put_u64(payload + 8 * i, word);
  }
  put_u64(out + format::kChecksumOffset, checksum(bytes));
  return bytes;
}

std::expected<filter, std::error_code> filter::deserialize(std::span<const std::uint8_t> bytes) {
  auto fail = [](filter_errc e) { return std::unexpected(make_error_code(e)); };
  if (bytes.size() < format::kHeaderBytes)
    return fail(filter_errc::truncated);
  const std::uint8_t* in = bytes.data();
  if (!std::equal(format::kMagic.begin(), format::kMagic.end(), in + format::kMagicOffset)) {
    return fail(filter_errc::bad_magic);
  }
  const unsigned version = in[format::kVersionOffset] | (in[format::kVersionOffset + 1] << 8);
  if (version != format::kVersion)
    return fail(filter_errc::unsupported_version);
  const unsigned log2_block_bits = in[format::kLog2BlockBitsOffset];
  const unsigned probes = in[format::kProbesOffset];
  const std::uint64_t block_count = get_u64(in + format::kBlockCountOffset);
  if (log2_block_bits != kLog2BlockBits || probes < kMinProbes || probes > kMaxProbes ||
      block_count == 0 || block_count > detail::kMaxBlocks) {
    return fail(filter_errc::bad_geometry);
  }
  // block_count <= 2^28, so this cannot overflow.
  const std::uint64_t expected_size = format::kHeaderBytes + block_count * kBlockBytes;
  if (bytes.size() < expected_size)
    return fail(filter_errc::truncated);
  if (bytes.size() > expected_size)
    return fail(filter_errc::size_mismatch);
  if (get_u64(in + format::kChecksumOffset) != checksum(bytes)) {
    return fail(filter_errc::checksum_mismatch);
  }
  // Only now, with the size proven equal to the payload, allocate it.
  block_storage words = allocate_blocks(block_count);
  if (!words)
    return fail(filter_errc::out_of_memory);
  const std::uint8_t* payload = in + format::kHeaderBytes;
  const std::size_t word_count = static_cast<std::size_t>(block_count) * kWordsPerBlock;
  for (std::size_t i = 0; i < word_count; ++i)
    words[i] = get_u64(payload + 8 * i);
  filter result(std::move(words), block_count, probes, get_u64(in + format::kSeedOffset));
  result.items_.store(get_u64(in + format::kItemCountOffset), std::memory_order_relaxed);
  return result;
}

}  // namespace banlist::bloom
