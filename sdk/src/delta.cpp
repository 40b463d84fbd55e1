#include "banlist/sdk/delta.hpp"

#include <utility>

namespace banlist::sdk {
namespace {

std::unexpected<std::error_code> fail(wire_errc e) noexcept {
  return std::unexpected(make_error_code(e));
}

}  // namespace

std::expected<void, std::error_code> validate(const delta_change& change) noexcept {
  if (change.seq == 0 || change.seq > kMaxSeq)
    return fail(wire_errc::bad_value);
  if (!identifier_type_from_code(std::to_underlying(change.type)))
    return fail(wire_errc::bad_value);
  // Table lookups, not names: decoders run this once per change.
  const bool reason_known =
      change.op == change_op::ban    ? ban_reason_from_code(change.reason).has_value()
      : change.op == change_op::lift ? lift_reason_from_code(change.reason).has_value()
                                     : false;  // unknown op
  if (!reason_known)
    return fail(wire_errc::bad_value);
  if (change.at_ms < 0 || change.at_ms > kMaxTimeMs)
    return fail(wire_errc::bad_value);
  return {};
}

std::expected<void, std::error_code> validate(const delta_batch& batch) noexcept {
  if (batch.head > kMaxSeq || batch.min_wait_s > kMaxMinWaitS)
    return fail(wire_errc::bad_value);
  if (batch.changes.size() > kMaxBatchChanges)
    return fail(wire_errc::too_large);
  if (batch.from > batch.to || batch.to > batch.head)
    return fail(wire_errc::bad_sequence);
  if (batch.more && batch.to == batch.head)
    return fail(wire_errc::bad_sequence);
  std::uint64_t previous = batch.from;
  for (const delta_change& change : batch.changes) {
    if (auto ok = validate(change); !ok)
      return ok;
    if (change.seq <= previous || change.seq > batch.to)
      return fail(wire_errc::bad_sequence);
    previous = change.seq;
  }
  if (!batch.changes.empty() && previous != batch.to)
    return fail(wire_errc::bad_sequence);
  return {};
}

}  // namespace banlist::sdk
