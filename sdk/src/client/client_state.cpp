#include "banlist/sdk/client_state.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>

#include "banlist/sdk/delta_binary.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "banlist/sdk/wire_errors.hpp"
#include "banlist/sdk/file_io.hpp"

namespace banlist::sdk {
namespace {

namespace fmt = delta_log_format;

std::unexpected<std::error_code> fail(wire_errc e) noexcept {
  return std::unexpected(make_error_code(e));
}

template <typename T>
void put(std::vector<std::uint8_t>& out, std::size_t offset, T value) {
  if constexpr (std::endian::native == std::endian::big)
    value = std::byteswap(value);
  std::memcpy(out.data() + offset, &value, sizeof value);
}

template <typename T>
T get(std::span<const std::uint8_t> in, std::size_t offset) noexcept {
  T value;
  std::memcpy(&value, in.data() + offset, sizeof value);
  if constexpr (std::endian::native == std::endian::big)
    value = std::byteswap(value);
  return value;
}

// XXH3-64 (seed 0) of every byte but the 8 at `field` (the shared checksum
// rule of banlist's binary formats). Requires: bytes.size() >= field + 8.
std::uint64_t checksum_except(std::span<const std::uint8_t> bytes, std::size_t field) noexcept {
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, bytes.data(), field);
  XXH3_64bits_update(&state, bytes.data() + field + 8, bytes.size() - field - 8);
  return XXH3_64bits_digest(&state);
}

std::int64_t now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t container_checksum(std::span<const std::uint8_t> container) noexcept {
  return get<std::uint64_t>(container, snapshot_format::kChecksumOffset);
}

}  // namespace

std::vector<std::uint8_t> encode_delta_log(const delta_log& log) {
  std::vector<std::uint8_t> out(fmt::kHeaderBytes, 0);
  std::copy(fmt::kMagic.begin(), fmt::kMagic.end(), out.begin());
  out[fmt::kVersionOffset] = fmt::kVersion;
  out[fmt::kModeOffset] = static_cast<std::uint8_t>(log.mode);
  put(out, fmt::kSnapshotChecksumOffset, log.snapshot_checksum);
  put(out, fmt::kEpochOffset, log.epoch);
  put(out, fmt::kSnapshotSeqOffset, log.snapshot_seq);
  put(out, fmt::kAppliedSeqOffset, log.applied_seq);
  put(out, fmt::kSavedAtOffset, log.saved_at_ms);
  put(out, fmt::kBatchCountOffset, static_cast<std::uint32_t>(log.batches.size()));
  std::vector<std::uint8_t> encoded;
  for (const delta_batch& batch : log.batches) {
    encode_delta_binary(batch, encoded);
    const std::size_t at = out.size();
    out.resize(at + fmt::kBatchLengthBytes + encoded.size());
    put(out, at, static_cast<std::uint32_t>(encoded.size()));
    std::memcpy(out.data() + at + fmt::kBatchLengthBytes, encoded.data(), encoded.size());
  }
  put(out, fmt::kChecksumOffset, checksum_except(out, fmt::kChecksumOffset));
  return out;
}

std::expected<delta_log, std::error_code> decode_delta_log(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < fmt::kHeaderBytes)
    return fail(wire_errc::truncated);
  if (!std::equal(fmt::kMagic.begin(), fmt::kMagic.end(), bytes.begin()))
    return fail(wire_errc::bad_magic);
  if (bytes[fmt::kVersionOffset] != fmt::kVersion)
    return fail(wire_errc::unsupported_version);
  const std::uint8_t mode = bytes[fmt::kModeOffset];
  if (mode != static_cast<std::uint8_t>(client_mode::filter) &&
      mode != static_cast<std::uint8_t>(client_mode::replica))
    return fail(wire_errc::bad_value);
  if (bytes[fmt::kReservedOffset] != 0 || bytes[fmt::kReservedOffset + 1] != 0 ||
      get<std::uint32_t>(bytes, fmt::kReserved2Offset) != 0)
    return fail(wire_errc::bad_reserved);
  if (bytes.size() > fmt::kMaxFileBytes)
    return fail(wire_errc::too_large);
  if (get<std::uint64_t>(bytes, fmt::kChecksumOffset) !=
      checksum_except(bytes, fmt::kChecksumOffset))
    return fail(wire_errc::bad_checksum);

  delta_log log;
  log.mode = static_cast<client_mode>(mode);
  log.snapshot_checksum = get<std::uint64_t>(bytes, fmt::kSnapshotChecksumOffset);
  log.epoch = get<std::uint64_t>(bytes, fmt::kEpochOffset);
  log.snapshot_seq = get<std::uint64_t>(bytes, fmt::kSnapshotSeqOffset);
  log.applied_seq = get<std::uint64_t>(bytes, fmt::kAppliedSeqOffset);
  log.saved_at_ms = get<std::int64_t>(bytes, fmt::kSavedAtOffset);
  if (log.snapshot_seq > kMaxSeq || log.applied_seq > kMaxSeq || log.saved_at_ms < 0)
    return fail(wire_errc::bad_value);
  const std::uint32_t count = get<std::uint32_t>(bytes, fmt::kBatchCountOffset);
  // Every batch takes at least 4 + 72 bytes: a hostile count cannot allocate.
  if (count > (bytes.size() - fmt::kHeaderBytes) / (fmt::kBatchLengthBytes + fmt::kMinBatchBytes))
    return fail(wire_errc::truncated);
  log.batches.reserve(count);
  std::size_t at = fmt::kHeaderBytes;
  std::uint64_t seq = log.snapshot_seq;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (bytes.size() - at < fmt::kBatchLengthBytes)
      return fail(wire_errc::truncated);
    const std::size_t length = get<std::uint32_t>(bytes, at);
    at += fmt::kBatchLengthBytes;
    if (length < fmt::kMinBatchBytes || length > fmt::kMaxBatchBytes)
      return fail(wire_errc::bad_length);
    if (bytes.size() - at < length)
      return fail(wire_errc::truncated);
    auto batch = decode_delta_binary(bytes.subspan(at, length));
    if (!batch)
      return std::unexpected(batch.error());
    at += length;
    if (batch->epoch != log.epoch)
      return fail(wire_errc::epoch_mismatch);
    if (batch->from != seq)
      return fail(wire_errc::seq_gap);
    seq = batch->to;
    log.batches.push_back(std::move(*batch));
  }
  if (at != bytes.size())
    return fail(wire_errc::bad_length);
  if (seq != log.applied_seq)
    return fail(wire_errc::bad_sequence);
  return log;
}

struct stored_replica::impl {
  impl(std::filesystem::path d, client_mode m) : dir(std::move(d)), replica(m) {}

  std::expected<void, std::error_code> write_log() {
    const replica_status st = replica.status();
    delta_log log;
    log.mode = replica.mode();
    log.snapshot_checksum = snapshot_checksum;
    log.epoch = st.epoch;
    log.snapshot_seq = snapshot_seq;
    log.applied_seq = pending.empty() ? snapshot_seq : pending.back().to;
    log.saved_at_ms = now_ms();
    log.batches = pending;
    const auto bytes = encode_delta_log(log);
    if (auto ok = detail::write_file_atomically(dir, kStoredDeltaLogName, bytes); !ok)
      return ok;
    dirty = false;
    return {};
  }

  std::expected<void, std::error_code> store_snapshot(std::span<const std::uint8_t> container,
                                                      std::uint64_t seq) {
    snapshot_checksum = container_checksum(container);
    snapshot_seq = seq;
    pending.clear();
    logged_changes = 0;
    // The old log no longer matches (its snapshot checksum differs), so a
    // crash between the two writes only loses the log, never mixes states.
    if (auto ok = detail::write_file_atomically(dir, kStoredSnapshotName, container); !ok) {
      dirty = true;
      return ok;
    }
    return write_log();
  }

  std::filesystem::path dir;
  local_replica replica;
  std::uint64_t snapshot_checksum = 0;
  std::uint64_t snapshot_seq = 0;
  std::vector<delta_batch> pending;  // applied since the stored snapshot
  std::uint64_t logged_changes = 0;
  bool dirty = false;
};

stored_replica::stored_replica(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}
stored_replica::~stored_replica() = default;

local_replica& stored_replica::replica() noexcept {
  return impl_->replica;
}
const local_replica& stored_replica::replica() const noexcept {
  return impl_->replica;
}
std::uint64_t stored_replica::logged_changes() const noexcept {
  return impl_->logged_changes;
}
bool stored_replica::dirty() const noexcept {
  return impl_->dirty;
}
const std::filesystem::path& stored_replica::directory() const noexcept {
  return impl_->dir;
}

std::expected<std::unique_ptr<stored_replica>, std::error_code> stored_replica::open(
    const std::filesystem::path& dir, client_mode mode, load_report* report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return std::unexpected(ec);
  load_report local;
  load_report& out = report ? *report : local;
  out = {};
  auto self = std::make_unique<impl>(dir, mode);

  auto container = detail::read_file(dir / kStoredSnapshotName, kMaxStoredSnapshotBytes);
  if (!container) {
    if (container.error() != std::errc::no_such_file_or_directory) {
      out.snapshot_error = container.error();
      detail::remove_file(dir, kStoredSnapshotName);
    }
    detail::remove_file(dir, kStoredDeltaLogName);
    return std::unique_ptr<stored_replica>(new stored_replica(std::move(self)));
  }
  auto snap = decode_snapshot(*container);
  std::error_code snapshot_error;
  if (!snap)
    snapshot_error = snap.error();
  else if (auto ok = self->replica.load_snapshot(std::move(*snap)); !ok)
    snapshot_error = ok.error();  // e.g. a filter snapshot in a replica-mode directory
  if (snapshot_error) {
    out.snapshot_error = snapshot_error;
    detail::remove_file(dir, kStoredSnapshotName);
    detail::remove_file(dir, kStoredDeltaLogName);
    return std::unique_ptr<stored_replica>(new stored_replica(std::move(self)));
  }
  out.snapshot_loaded = true;
  const replica_status at_snapshot = self->replica.status();
  self->snapshot_checksum = container_checksum(*container);
  self->snapshot_seq = at_snapshot.seq;
  out.seq = at_snapshot.seq;
  container = {};  // release the bytes before replaying the log

  auto bytes = detail::read_file(dir / kStoredDeltaLogName, fmt::kMaxFileBytes);
  if (!bytes) {
    if (bytes.error() != std::errc::no_such_file_or_directory)
      out.log_error = bytes.error();
  } else if (auto log = decode_delta_log(*bytes); !log) {
    out.log_error = log.error();
  } else if (log->mode != mode || log->snapshot_checksum != self->snapshot_checksum ||
             log->epoch != at_snapshot.epoch || log->snapshot_seq != at_snapshot.seq) {
    out.log_error = make_error_code(wire_errc::seq_gap);  // a log of another snapshot
  } else {
    for (delta_batch& batch : log->batches) {
      if (auto ok = self->replica.apply(batch); !ok) {
        // Checksummed, so not corruption; whatever applied was digest-checked
        // and stays; the rest is dropped and the log rewritten below.
        out.log_error = ok.error();
        break;
      }
      self->logged_changes += batch.changes.size();
      self->pending.push_back(std::move(batch));
      ++out.batches_applied;
    }
  }
  out.seq = self->replica.status().seq;
  if (out.log_error) {
    detail::remove_file(dir, kStoredDeltaLogName);
    self->dirty = true;
  }
  return std::unique_ptr<stored_replica>(new stored_replica(std::move(self)));
}

std::expected<void, std::error_code> stored_replica::install_snapshot(
    std::span<const std::uint8_t> bytes) {
  auto snap = decode_snapshot(bytes);
  if (!snap)
    return std::unexpected(snap.error());
  const std::uint64_t seq = snap->seq;
  if (auto ok = impl_->replica.load_snapshot(std::move(*snap)); !ok)
    return ok;
  return impl_->store_snapshot(bytes, seq);
}

std::expected<void, std::error_code> stored_replica::apply(const delta_batch& batch) {
  if (auto ok = impl_->replica.apply(batch); !ok)
    return ok;
  impl_->pending.push_back(batch);
  impl_->logged_changes += batch.changes.size();
  impl_->dirty = true;
  return {};
}

std::expected<void, std::error_code> stored_replica::flush() {
  if (!impl_->dirty)
    return {};
  const replica_status st = impl_->replica.status();
  if (!st.loaded)
    return {};
  if (st.mode == client_mode::replica &&
      impl_->logged_changes > std::max(kCompactMinChanges, st.count / kCompactDivisor)) {
    auto container = impl_->replica.encode_exact_snapshot();
    if (!container)
      return std::unexpected(container.error());
    return impl_->store_snapshot(*container, st.seq);
  }
  return impl_->write_log();
}

}  // namespace banlist::sdk
