#include "banlist/sdk/wire_errors.hpp"

#include <string>

namespace banlist::sdk {
namespace {

class wire_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "banlist.wire"; }

  std::string message(int code) const override {
    switch (static_cast<wire_errc>(code)) {
      case wire_errc::truncated:
        return "wire data is truncated";
      case wire_errc::bad_magic:
        return "not a banlist wire format (bad magic)";
      case wire_errc::unsupported_version:
        return "unsupported wire format version";
      case wire_errc::bad_checksum:
        return "wire checksum mismatch";
      case wire_errc::bad_length:
        return "byte count disagrees with the declared count";
      case wire_errc::too_large:
        return "count exceeds the format's limit";
      case wire_errc::bad_kind:
        return "unknown snapshot kind";
      case wire_errc::bad_reserved:
        return "reserved bytes or flag bits are not zero";
      case wire_errc::bad_value:
        return "field value out of range";
      case wire_errc::bad_sequence:
        return "change sequence numbers are not strictly increasing within (from, to]";
      case wire_errc::not_sorted:
        return "snapshot fingerprints are not sorted";
      case wire_errc::duplicate_entry:
        return "duplicate fingerprint in snapshot";
      case wire_errc::count_mismatch:
        return "declared count does not match the content";
      case wire_errc::bad_filter:
        return "embedded Bloom filter is invalid";
      case wire_errc::seed_mismatch:
        return "embedded filter seed differs from the snapshot header";
      case wire_errc::digest_mismatch:
        return "set digest mismatch";
      case wire_errc::bad_json:
        return "malformed JSON message";
      case wire_errc::missing_field:
        return "required JSON member missing";
      case wire_errc::wrong_type:
        return "JSON member has the wrong type";
      case wire_errc::duplicate_field:
        return "JSON member appears twice";
      case wire_errc::unknown_message:
        return "unknown message type";
      case wire_errc::epoch_mismatch:
        return "batch is from another epoch of the list (resync required)";
      case wire_errc::seq_gap:
        return "batch does not start at the replica's seq";
      case wire_errc::already_banned:
        return "ban of a fingerprint the replica already holds";
      case wire_errc::not_banned:
        return "lift of a fingerprint the replica does not hold";
    }
    return "unknown wire error";
  }
};

}  // namespace

const std::error_category& wire_category() noexcept {
  static const wire_category_impl category;
  return category;
}

}  // namespace banlist::sdk
