#include "banlist/sdk/subscription.hpp"

#include "json_codec.hpp"

namespace banlist::sdk {
namespace {

std::unexpected<std::error_code> fail(wire_errc e) noexcept {
  return std::unexpected(make_error_code(e));
}

// Returns the one string member `name` of an object: missing_field when
// absent, duplicate_field when repeated, wrong_type when not a string.
std::expected<std::string_view, std::error_code> discriminator(simdjson::dom::object object,
                                                               std::string_view name) {
  std::optional<std::string_view> found;
  for (auto field : object) {
    if (field.key != name)
      continue;
    if (found)
      return fail(wire_errc::duplicate_field);
    auto text = detail::read_string(field.value);
    if (!text)
      return std::unexpected(text.error());
    found = *text;
  }
  if (!found)
    return fail(wire_errc::missing_field);
  return *found;
}

// Reads the members of a small fixed-shape object: for each field whose key
// is in `names` (at most 8), calls read(index, value). Unknown keys are
// ignored; each listed one must appear exactly once.
template <typename Read>
std::expected<void, std::error_code> read_members(simdjson::dom::object object,
                                                  std::initializer_list<std::string_view> names,
                                                  Read read) {
  unsigned seen = 0;
  for (auto field : object) {
    unsigned index = 0;
    for (std::string_view name : names) {
      if (field.key == name)
        break;
      ++index;
    }
    if (index == names.size())
      continue;
    if (seen & (1u << index))
      return fail(wire_errc::duplicate_field);
    seen |= 1u << index;
    if (auto ok = read(index, field.value); !ok)
      return ok;
  }
  if (seen != (1u << names.size()) - 1)
    return fail(wire_errc::missing_field);
  return {};
}

// Adapts a typed reader to read_members' expected<void>.
template <typename T, typename U>
std::expected<void, std::error_code> store(std::expected<U, std::error_code> value, T& target) {
  if (!value)
    return std::unexpected(value.error());
  target = static_cast<T>(*value);
  return {};
}

std::expected<heartbeat, std::error_code> read_heartbeat(simdjson::dom::object object) {
  heartbeat beat;
  auto ok = read_members(
      object, {"epoch", "head", "digest", "at"}, [&](unsigned index, simdjson::dom::element value) {
        switch (index) {
          case 0:
            return store(detail::read_epoch(value), beat.epoch);
          case 1:
            return store(detail::read_u64(value, kMaxSeq), beat.head);
          case 2:
            return store(detail::read_fingerprint(value), beat.digest);
          default:
            return store(detail::read_u64(value, static_cast<std::uint64_t>(kMaxTimeMs)),
                         beat.at_ms);
        }
      });
  if (!ok)
    return std::unexpected(ok.error());
  return beat;
}

std::expected<reset_notice, std::error_code> read_reset(simdjson::dom::object object) {
  reset_notice reset;
  auto ok = read_members(
      object, {"last_seq", "reason"},
      [&](unsigned index, simdjson::dom::element value) -> std::expected<void, std::error_code> {
        if (index == 0)
          return store(detail::read_u64(value, kMaxSeq), reset.last_seq);
        auto text = detail::read_string(value);
        if (!text)
          return std::unexpected(text.error());
        auto reason = parse_reset_reason(*text);
        if (!reason)
          return fail(wire_errc::bad_value);
        reset.reason = *reason;
        return {};
      });
  if (!ok)
    return std::unexpected(ok.error());
  return reset;
}

}  // namespace

std::string_view to_string(reset_reason reason) noexcept {
  switch (reason) {
    case reset_reason::slow_consumer:
      return "slow_consumer";
    case reset_reason::resync_required:
      return "resync_required";
    case reset_reason::shutdown:
      return "shutdown";
  }
  return {};
}

std::optional<reset_reason> parse_reset_reason(std::string_view name) noexcept {
  for (auto reason :
       {reset_reason::slow_consumer, reset_reason::resync_required, reset_reason::shutdown}) {
    if (to_string(reason) == name)
      return reason;
  }
  return std::nullopt;
}

std::string encode_changes_message(const delta_batch& batch) {
  rapidjson::StringBuffer buffer;
  buffer.Reserve(256 + batch.changes.size() * 160);
  detail::json_writer w(buffer);
  w.StartObject();
  detail::write_key(w, "type");
  detail::write_string(w, "changes");
  detail::write_delta_members(w, batch);
  w.EndObject();
  return detail::take(buffer);
}

std::string encode_heartbeat_message(const heartbeat& beat) {
  rapidjson::StringBuffer buffer;
  detail::json_writer w(buffer);
  w.StartObject();
  detail::write_key(w, "type");
  detail::write_string(w, "heartbeat");
  detail::write_key(w, "epoch");
  detail::write_epoch(w, beat.epoch);
  detail::write_key(w, "head");
  w.Uint64(beat.head);
  detail::write_key(w, "digest");
  detail::write_fingerprint(w, beat.digest);
  detail::write_key(w, "at");
  w.Int64(beat.at_ms);
  w.EndObject();
  return detail::take(buffer);
}

std::string encode_reset_message(const reset_notice& reset) {
  rapidjson::StringBuffer buffer;
  detail::json_writer w(buffer);
  w.StartObject();
  detail::write_key(w, "type");
  detail::write_string(w, "reset");
  detail::write_key(w, "last_seq");
  w.Uint64(reset.last_seq);
  detail::write_key(w, "reason");
  detail::write_string(w, to_string(reset.reason));
  w.EndObject();
  return detail::take(buffer);
}

std::string encode_ack_message(const client_ack& ack) {
  rapidjson::StringBuffer buffer;
  detail::json_writer w(buffer);
  w.StartObject();
  detail::write_key(w, "op");
  detail::write_string(w, "ack");
  detail::write_key(w, "seq");
  w.Uint64(ack.seq);
  w.EndObject();
  return detail::take(buffer);
}

std::expected<server_message, std::error_code> decode_server_message(std::string_view text) {
  auto object = detail::parse_object(text);
  if (!object)
    return std::unexpected(object.error());
  auto type = discriminator(*object, "type");
  if (!type)
    return std::unexpected(type.error());
  if (*type == "changes") {
    auto batch = detail::read_delta_object(*object);
    if (!batch)
      return std::unexpected(batch.error());
    return server_message(std::move(*batch));
  }
  if (*type == "heartbeat") {
    auto beat = read_heartbeat(*object);
    if (!beat)
      return std::unexpected(beat.error());
    return server_message(*beat);
  }
  if (*type == "reset") {
    auto reset = read_reset(*object);
    if (!reset)
      return std::unexpected(reset.error());
    return server_message(*reset);
  }
  return fail(wire_errc::unknown_message);
}

std::expected<client_ack, std::error_code> decode_client_message(std::string_view text) {
  auto object = detail::parse_object(text);
  if (!object)
    return std::unexpected(object.error());
  auto op = discriminator(*object, "op");
  if (!op)
    return std::unexpected(op.error());
  if (*op != "ack")
    return fail(wire_errc::unknown_message);
  client_ack ack;
  auto ok = read_members(*object, {"seq"}, [&](unsigned, simdjson::dom::element value) {
    return store(detail::read_u64(value, kMaxSeq), ack.seq);
  });
  if (!ok)
    return std::unexpected(ok.error());
  return ack;
}

}  // namespace banlist::sdk
