// Snapshot container, format version 1 (snapshot.hpp, docs/protocol.md (section 3)).
#include "banlist/sdk/snapshot.hpp"

#include <algorithm>
#include <utility>

#include "banlist/bloom/format.hpp"
#include "banlist/bloom/set_digest.hpp"
#include "banlist/sdk/delta.hpp"
#include "checksum.hpp"
#include "little_endian.hpp"

namespace banlist::sdk {
namespace {

namespace fmt = snapshot_format;
using detail::get_le;
using detail::put_le;

std::unexpected<std::error_code> fail(wire_errc e) noexcept {
  return std::unexpected(make_error_code(e));
}

struct header_fields {
  snapshot_kind kind;
  std::uint64_t epoch;
  std::uint64_t seq;
  std::uint64_t count;
  fingerprint digest;
  std::uint64_t seed;
  std::uint64_t block_count;
  std::uint8_t probes;
};

// Returns a buffer with the header written (checksum zero) and room for the payload.
std::vector<std::uint8_t> start_container(const header_fields& h, std::size_t payload_bytes) {
  std::vector<std::uint8_t> out(fmt::kHeaderBytes + payload_bytes, 0);
  std::uint8_t* p = out.data();
  std::copy(fmt::kMagic.begin(), fmt::kMagic.end(), p);
  p[fmt::kVersionOffset] = fmt::kVersion;
  p[fmt::kKindOffset] = std::to_underlying(h.kind);
  put_le<std::uint64_t>(p + fmt::kEpochOffset, h.epoch);
  put_le<std::uint64_t>(p + fmt::kSeqOffset, h.seq);
  put_le<std::uint64_t>(p + fmt::kCountOffset, h.count);
  put_le<std::uint64_t>(p + fmt::kDigestOffset, h.digest.high);
  put_le<std::uint64_t>(p + fmt::kDigestOffset + 8, h.digest.low);
  put_le<std::uint64_t>(p + fmt::kSeedOffset, h.seed);
  put_le<std::uint64_t>(p + fmt::kBlockCountOffset, h.block_count);
  p[fmt::kProbesOffset] = h.probes;
  put_le<std::uint64_t>(p + fmt::kPayloadLengthOffset, payload_bytes);
  return out;
}

void seal(std::vector<std::uint8_t>& out) {
  put_le<std::uint64_t>(out.data() + fmt::kChecksumOffset,
                        detail::checksum_except(out, fmt::kChecksumOffset));
}

bool all_zero(const std::uint8_t* p, std::size_t n) noexcept {
  return std::all_of(p, p + n, [](std::uint8_t b) { return b == 0; });
}

std::expected<std::vector<snapshot_entry>, std::error_code> read_entries(
    std::span<const std::uint8_t> payload, std::uint64_t count, const fingerprint& digest) {
  // Division first: count * 18 could overflow for a hostile count.
  if (count > payload.size() / fmt::kEntryBytes || count * fmt::kEntryBytes != payload.size())
    return fail(wire_errc::bad_length);
  std::vector<snapshot_entry> entries(static_cast<std::size_t>(count));
  bloom::set_digest running;
  const std::uint8_t* p = payload.data();
  for (std::size_t i = 0; i < entries.size(); ++i, p += fmt::kEntryBytes) {
    snapshot_entry& e = entries[i];
    e.fp.high = get_le<std::uint64_t>(p + fmt::kEntryFpHigh);
    e.fp.low = get_le<std::uint64_t>(p + fmt::kEntryFpLow);
    const auto type = identifier_type_from_code(p[fmt::kEntryType]);
    const auto reason = ban_reason_from_code(p[fmt::kEntryReason]);
    if (!type || !reason)
      return fail(wire_errc::bad_value);
    e.type = *type;
    e.reason = *reason;
    if (i > 0) {
      if (e.fp == entries[i - 1].fp)
        return fail(wire_errc::duplicate_entry);
      if (e.fp < entries[i - 1].fp)
        return fail(wire_errc::not_sorted);
    }
    running.toggle(e.fp);
  }
  if (running.value != digest)
    return fail(wire_errc::digest_mismatch);
  return entries;
}

std::expected<bloom::filter, std::error_code> read_filter(std::span<const std::uint8_t> payload,
                                                          const header_fields& h) {
  auto filter = bloom::filter::deserialize(payload);
  if (!filter)
    return fail(wire_errc::bad_filter);
  if (filter->block_count() != h.block_count || filter->probe_count() != h.probes)
    return fail(wire_errc::bad_filter);
  if (filter->seed() != h.seed)
    return fail(wire_errc::seed_mismatch);
  if (filter->item_count() != h.count)
    return fail(wire_errc::count_mismatch);
  return filter;
}

}  // namespace

fingerprint digest_of(std::span<const snapshot_entry> entries) noexcept {
  bloom::set_digest digest;
  for (const snapshot_entry& e : entries)
    digest.toggle(e.fp);
  return digest.value;
}

std::vector<std::uint8_t> encode_snapshot_filter(std::uint64_t epoch, std::uint64_t seq,
                                                 const fingerprint& digest,
                                                 const bloom::filter& filter) {
  const std::vector<std::uint8_t> payload = filter.serialize();
  // Header fields are read back from the serialized bytes, not the live filter:
  // inserts racing with serialize() could otherwise make the two disagree.
  const auto filter_items = get_le<std::uint64_t>(payload.data() + bloom::format::kItemCountOffset);
  const header_fields h{snapshot_kind::filter,
                        epoch,
                        seq,
                        filter_items,
                        digest,
                        filter.seed(),
                        filter.block_count(),
                        static_cast<std::uint8_t>(filter.probe_count())};
  std::vector<std::uint8_t> out = start_container(h, payload.size());
  std::copy(payload.begin(), payload.end(), out.begin() + fmt::kHeaderBytes);
  seal(out);
  return out;
}

std::vector<std::uint8_t> encode_snapshot_fps(std::uint64_t epoch, std::uint64_t seq,
                                              const fingerprint& digest, std::uint64_t seed,
                                              std::span<const snapshot_entry> entries) {
  const header_fields h{snapshot_kind::fps, epoch, seq, entries.size(), digest, seed, 0, 0};
  std::vector<std::uint8_t> out = start_container(h, entries.size() * fmt::kEntryBytes);
  std::uint8_t* p = out.data() + fmt::kHeaderBytes;
  for (const snapshot_entry& e : entries) {
    put_le<std::uint64_t>(p + fmt::kEntryFpHigh, e.fp.high);
    put_le<std::uint64_t>(p + fmt::kEntryFpLow, e.fp.low);
    p[fmt::kEntryType] = std::to_underlying(e.type);
    p[fmt::kEntryReason] = std::to_underlying(e.reason);
    p += fmt::kEntryBytes;
  }
  seal(out);
  return out;
}

std::expected<snapshot, std::error_code> decode_snapshot(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < fmt::kHeaderBytes)
    return fail(wire_errc::truncated);
  const std::uint8_t* p = bytes.data();
  if (!std::equal(fmt::kMagic.begin(), fmt::kMagic.end(), p))
    return fail(wire_errc::bad_magic);
  if (p[fmt::kVersionOffset] != fmt::kVersion)
    return fail(wire_errc::unsupported_version);
  const std::uint8_t kind = p[fmt::kKindOffset];
  if (kind != std::to_underlying(snapshot_kind::filter) &&
      kind != std::to_underlying(snapshot_kind::fps)) {
    return fail(wire_errc::bad_kind);
  }
  if (!all_zero(p + fmt::kReservedOffset, 2) || !all_zero(p + fmt::kReserved2Offset, 7))
    return fail(wire_errc::bad_reserved);
  const std::uint64_t payload_length = get_le<std::uint64_t>(p + fmt::kPayloadLengthOffset);
  const std::size_t available = bytes.size() - fmt::kHeaderBytes;
  if (payload_length > available)
    return fail(wire_errc::truncated);
  if (payload_length < available)
    return fail(wire_errc::bad_length);
  if (get_le<std::uint64_t>(p + fmt::kChecksumOffset) !=
      detail::checksum_except(bytes, fmt::kChecksumOffset)) {
    return fail(wire_errc::bad_checksum);
  }
  header_fields h{
      static_cast<snapshot_kind>(kind),
      get_le<std::uint64_t>(p + fmt::kEpochOffset),
      get_le<std::uint64_t>(p + fmt::kSeqOffset),
      get_le<std::uint64_t>(p + fmt::kCountOffset),
      {get_le<std::uint64_t>(p + fmt::kDigestOffset),
       get_le<std::uint64_t>(p + fmt::kDigestOffset + 8)},
      get_le<std::uint64_t>(p + fmt::kSeedOffset),
      get_le<std::uint64_t>(p + fmt::kBlockCountOffset),
      p[fmt::kProbesOffset],
  };
  if (h.seq > kMaxSeq)
    return fail(wire_errc::bad_value);
  const std::span<const std::uint8_t> payload = bytes.subspan(fmt::kHeaderBytes);

  snapshot result;
  result.kind = h.kind;
  result.epoch = h.epoch;
  result.seq = h.seq;
  result.count = h.count;
  result.digest = h.digest;
  result.seed = h.seed;
  if (h.kind == snapshot_kind::fps) {
    if (h.block_count != 0 || h.probes != 0)
      return fail(wire_errc::bad_reserved);
    auto entries = read_entries(payload, h.count, h.digest);
    if (!entries)
      return std::unexpected(entries.error());
    result.entries = std::move(*entries);
  } else {
    auto filter = read_filter(payload, h);
    if (!filter)
      return std::unexpected(filter.error());
    result.filter.emplace(std::move(*filter));
  }
  return result;
}

}  // namespace banlist::sdk
