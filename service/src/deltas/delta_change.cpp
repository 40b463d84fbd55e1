#include "deltas/delta_change.hpp"

namespace banlist::service {

std::optional<sdk::delta_change> to_delta_change(const change& entry) {
  const sdk::change_op op = entry.op == change_op::ban ? sdk::change_op::ban : sdk::change_op::lift;
  const std::optional<std::uint8_t> reason = sdk::parse_reason_code(op, entry.reason);
  if (!reason)
    return std::nullopt;
  return sdk::delta_change{
      .seq = entry.seq,
      .op = op,
      .fp = entry.fp,
      .type = entry.type,
      .reason = *reason,
      .at_ms = entry.at_ms,
  };
}

}  // namespace banlist::service
