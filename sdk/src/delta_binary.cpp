// Binary delta batch, format version 1 (delta_binary.hpp, docs/protocol.md (section 3)).
#include "banlist/sdk/delta_binary.hpp"

#include <algorithm>
#include <utility>

#include "checksum.hpp"
#include "little_endian.hpp"

namespace banlist::sdk {
namespace {

namespace fmt = delta_format;
using detail::get_le;
using detail::put_le;

std::unexpected<std::error_code> fail(wire_errc e) noexcept {
  return std::unexpected(make_error_code(e));
}

}  // namespace

void encode_delta_binary(const delta_batch& batch, std::vector<std::uint8_t>& out) {
  const std::size_t n = batch.changes.size();
  out.assign(fmt::kHeaderBytes + n * fmt::kRecordBytes, 0);
  std::uint8_t* p = out.data();
  std::copy(fmt::kMagic.begin(), fmt::kMagic.end(), p);
  p[fmt::kVersionOffset] = fmt::kVersion;
  p[fmt::kFlagsOffset] = batch.more ? fmt::kFlagMore : 0;
  put_le<std::uint64_t>(p + fmt::kEpochOffset, batch.epoch);
  put_le<std::uint64_t>(p + fmt::kFromOffset, batch.from);
  put_le<std::uint64_t>(p + fmt::kToOffset, batch.to);
  put_le<std::uint64_t>(p + fmt::kHeadOffset, batch.head);
  put_le<std::uint64_t>(p + fmt::kDigestOffset, batch.digest.high);
  put_le<std::uint64_t>(p + fmt::kDigestOffset + 8, batch.digest.low);
  put_le<std::uint32_t>(p + fmt::kMinWaitOffset, batch.min_wait_s);
  put_le<std::uint32_t>(p + fmt::kCountOffset, static_cast<std::uint32_t>(n));
  std::uint8_t* record = p + fmt::kHeaderBytes;
  for (const delta_change& c : batch.changes) {
    put_le<std::uint64_t>(record + fmt::kRecordSeq, c.seq);
    put_le<std::uint64_t>(record + fmt::kRecordFpHigh, c.fp.high);
    put_le<std::uint64_t>(record + fmt::kRecordFpLow, c.fp.low);
    put_le<std::int64_t>(record + fmt::kRecordAt, c.at_ms);
    record[fmt::kRecordOp] = std::to_underlying(c.op);
    record[fmt::kRecordType] = std::to_underlying(c.type);
    record[fmt::kRecordReason] = c.reason;
    record += fmt::kRecordBytes;
  }
  put_le<std::uint64_t>(p + fmt::kChecksumOffset,
                        detail::checksum_except(out, fmt::kChecksumOffset));
}

std::vector<std::uint8_t> encode_delta_binary(const delta_batch& batch) {
  std::vector<std::uint8_t> out;
  encode_delta_binary(batch, out);
  return out;
}

std::expected<delta_batch, std::error_code> decode_delta_binary(
    std::span<const std::uint8_t> bytes) {
  if (bytes.size() < fmt::kHeaderBytes)
    return fail(wire_errc::truncated);
  const std::uint8_t* p = bytes.data();
  if (!std::equal(fmt::kMagic.begin(), fmt::kMagic.end(), p))
    return fail(wire_errc::bad_magic);
  if (p[fmt::kVersionOffset] != fmt::kVersion)
    return fail(wire_errc::unsupported_version);
  const std::uint8_t flags = p[fmt::kFlagsOffset];
  if ((flags & ~fmt::kFlagMore) != 0 || p[fmt::kReservedOffset] != 0 ||
      p[fmt::kReservedOffset + 1] != 0) {
    return fail(wire_errc::bad_reserved);
  }
  const std::uint32_t count = get_le<std::uint32_t>(p + fmt::kCountOffset);
  if (count > kMaxBatchChanges)
    return fail(wire_errc::too_large);
  // count <= 65536: no overflow.
  const std::size_t expected_size = fmt::kHeaderBytes + std::size_t{count} * fmt::kRecordBytes;
  if (bytes.size() < expected_size)
    return fail(wire_errc::truncated);
  if (bytes.size() > expected_size)
    return fail(wire_errc::bad_length);
  if (get_le<std::uint64_t>(p + fmt::kChecksumOffset) !=
      detail::checksum_except(bytes, fmt::kChecksumOffset)) {
    return fail(wire_errc::bad_checksum);
  }

  delta_batch batch;
  batch.epoch = get_le<std::uint64_t>(p + fmt::kEpochOffset);
  batch.from = get_le<std::uint64_t>(p + fmt::kFromOffset);
  batch.to = get_le<std::uint64_t>(p + fmt::kToOffset);
  batch.head = get_le<std::uint64_t>(p + fmt::kHeadOffset);
  batch.more = (flags & fmt::kFlagMore) != 0;
  batch.digest.high = get_le<std::uint64_t>(p + fmt::kDigestOffset);
  batch.digest.low = get_le<std::uint64_t>(p + fmt::kDigestOffset + 8);
  batch.min_wait_s = get_le<std::uint32_t>(p + fmt::kMinWaitOffset);
  batch.changes.resize(count);  // justified: the length check proved 40 bytes each
  const std::uint8_t* record = p + fmt::kHeaderBytes;
  for (delta_change& c : batch.changes) {
    // The five reserved bytes: one 4-byte load and one byte.
    if (get_le<std::uint32_t>(record + fmt::kRecordReserved) != 0 ||
        record[fmt::kRecordReserved + 4] != 0) {
      return fail(wire_errc::bad_reserved);
    }
    c.seq = get_le<std::uint64_t>(record + fmt::kRecordSeq);
    c.fp.high = get_le<std::uint64_t>(record + fmt::kRecordFpHigh);
    c.fp.low = get_le<std::uint64_t>(record + fmt::kRecordFpLow);
    c.at_ms = get_le<std::int64_t>(record + fmt::kRecordAt);
    // Enum values outside their range are rejected by validate() below.
    c.op = static_cast<change_op>(record[fmt::kRecordOp]);
    c.type = static_cast<identifier_type>(record[fmt::kRecordType]);
    c.reason = record[fmt::kRecordReason];
    record += fmt::kRecordBytes;
  }
  if (auto ok = validate(batch); !ok)
    return std::unexpected(ok.error());
  return batch;
}

}  // namespace banlist::sdk
