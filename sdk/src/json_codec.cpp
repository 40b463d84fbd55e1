#include "json_codec.hpp"

#include <array>

namespace banlist::sdk::detail {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

std::unexpected<std::error_code> fail(wire_errc e) noexcept {
  return std::unexpected(make_error_code(e));
}

void hex64(char* out, std::uint64_t value) noexcept {
  for (int i = 15; i >= 0; --i) {
    out[i] = kHexDigits[value & 0xf];
    value >>= 4;
  }
}

// Lowercase only: the encoders write lowercase, and one spelling per value
// keeps the JSON form canonical.
std::optional<std::uint64_t> parse_hex_digits(std::string_view text) noexcept {
  std::uint64_t value = 0;
  for (char c : text) {
    unsigned digit;
    if (c >= '0' && c <= '9')
      digit = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      digit = static_cast<unsigned>(c - 'a' + 10);
    else
      return std::nullopt;
    value = (value << 4) | digit;
  }
  return value;
}

// Bits of `seen` for the members of a batch and of a change.
enum batch_member : unsigned {
  kEpoch = 1u << 0,
  kFrom = 1u << 1,
  kTo = 1u << 2,
  kHead = 1u << 3,
  kMore = 1u << 4,
  kDigest = 1u << 5,
  kMinWait = 1u << 6,
  kChanges = 1u << 7,
  kAllBatch = (1u << 8) - 1,
};

enum change_member : unsigned {
  kSeq = 1u << 0,
  kOp = 1u << 1,
  kFp = 1u << 2,
  kType = 1u << 3,
  kReason = 1u << 4,
  kAt = 1u << 5,
  kAllChange = (1u << 6) - 1,
};

// Marks `bit` seen; duplicate_field when it already was.
std::expected<void, std::error_code> mark(unsigned& seen, unsigned bit) noexcept {
  if (seen & bit)
    return fail(wire_errc::duplicate_field);
  seen |= bit;
  return {};
}

// Marks `bit` seen (duplicate_field if it was), runs `read` and stores its value.
template <typename T, typename Read>
std::expected<void, std::error_code> read_member(unsigned& seen, unsigned bit, T& target,
                                                 Read read) {
  if (auto ok = mark(seen, bit); !ok)
    return ok;
  auto value = read();
  if (!value)
    return std::unexpected(value.error());
  target = static_cast<T>(*value);
  return {};
}

std::expected<change_op, std::error_code> read_op(simdjson::dom::element value) noexcept {
  auto text = read_string(value);
  if (!text)
    return std::unexpected(text.error());
  auto op = parse_change_op(*text);
  if (!op)
    return fail(wire_errc::bad_value);
  return *op;
}

std::expected<identifier_type, std::error_code> read_type(simdjson::dom::element value) noexcept {
  auto text = read_string(value);
  if (!text)
    return std::unexpected(text.error());
  auto type = parse_identifier_type(*text);
  if (!type)
    return fail(wire_errc::bad_value);
  return *type;
}

std::expected<delta_change, std::error_code> read_change(simdjson::dom::element element) {
  simdjson::dom::object object;
  if (element.get_object().get(object))
    return fail(wire_errc::wrong_type);
  delta_change change;
  std::string_view reason;  // read in the op's vocabulary once the op is known
  unsigned seen = 0;
  for (auto field : object) {
    const std::string_view key = field.key;
    const simdjson::dom::element value = field.value;
    std::expected<void, std::error_code> ok;
    if (key == "seq")
      ok = read_member(seen, kSeq, change.seq, [&] { return read_u64(value, kMaxSeq); });
    else if (key == "op")
      ok = read_member(seen, kOp, change.op, [&] { return read_op(value); });
    else if (key == "fp")
      ok = read_member(seen, kFp, change.fp, [&] { return read_fingerprint(value); });
    else if (key == "type")
      ok = read_member(seen, kType, change.type, [&] { return read_type(value); });
    else if (key == "reason")
      ok = read_member(seen, kReason, reason, [&] { return read_string(value); });
    else if (key == "at")
      ok = read_member(seen, kAt, change.at_ms,
                       [&] { return read_u64(value, static_cast<std::uint64_t>(kMaxTimeMs)); });
    if (!ok)
      return std::unexpected(ok.error());
  }
  if (seen != kAllChange)
    return fail(wire_errc::missing_field);
  auto code = parse_reason_code(change.op, reason);
  if (!code)
    return fail(wire_errc::bad_value);
  change.reason = *code;
  return change;
}

}  // namespace

void quoted_hex128(char* out, const fingerprint& fp) noexcept {
  out[0] = '"';
  hex64(out + 1, fp.high);
  hex64(out + 17, fp.low);
  out[33] = '"';
}

void quoted_hex64(char* out, std::uint64_t value) noexcept {
  out[0] = '"';
  hex64(out + 1, value);
  out[17] = '"';
}

std::optional<fingerprint> parse_hex128(std::string_view text) noexcept {
  if (text.size() != 32)
    return std::nullopt;
  auto high = parse_hex_digits(text.substr(0, 16));
  auto low = parse_hex_digits(text.substr(16));
  if (!high || !low)
    return std::nullopt;
  return fingerprint{*high, *low};
}

std::optional<std::uint64_t> parse_hex64(std::string_view text) noexcept {
  if (text.size() != 16)
    return std::nullopt;
  return parse_hex_digits(text);
}

void write_fingerprint(json_writer& w, const fingerprint& fp) {
  char text[34];
  quoted_hex128(text, fp);
  // Hex digits need no escaping: skip the writer's escape scan.
  w.RawValue(text, sizeof text, rapidjson::kStringType);
}

void write_epoch(json_writer& w, std::uint64_t epoch) {
  char text[18];
  quoted_hex64(text, epoch);
  w.RawValue(text, sizeof text, rapidjson::kStringType);
}

void write_delta_members(json_writer& w, const delta_batch& batch) {
  write_key(w, "epoch");
  write_epoch(w, batch.epoch);
  write_key(w, "from");
  w.Uint64(batch.from);
  write_key(w, "to");
  w.Uint64(batch.to);
  write_key(w, "head");
  w.Uint64(batch.head);
  write_key(w, "more");
  w.Bool(batch.more);
  write_key(w, "digest");
  write_fingerprint(w, batch.digest);
  write_key(w, "min_wait_s");
  w.Uint(batch.min_wait_s);
  write_key(w, "changes");
  w.StartArray();
  for (const delta_change& c : batch.changes) {
    w.StartObject();
    write_key(w, "seq");
    w.Uint64(c.seq);
    write_key(w, "op");
    write_string(w, to_string(c.op));
    write_key(w, "fp");
    write_fingerprint(w, c.fp);
    write_key(w, "type");
    write_string(w, to_string(c.type));
    write_key(w, "reason");
    write_string(w, reason_name(c.op, c.reason));
    write_key(w, "at");
    w.Int64(c.at_ms);
    w.EndObject();
  }
  w.EndArray();
}

std::expected<simdjson::dom::object, std::error_code> parse_object(std::string_view text) {
  if (text.size() > kMaxJsonBytes)
    return fail(wire_errc::too_large);
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root))
    return fail(wire_errc::bad_json);
  simdjson::dom::object object;
  if (root.get_object().get(object))
    return fail(wire_errc::bad_json);
  return object;
}

std::expected<std::uint64_t, std::error_code> read_u64(simdjson::dom::element value,
                                                       std::uint64_t max) noexcept {
  std::uint64_t number = 0;
  switch (value.type()) {
    case simdjson::dom::element_type::UINT64:
      number = value.get_uint64().value_unsafe();
      break;
    case simdjson::dom::element_type::INT64: {
      const std::int64_t signed_number = value.get_int64().value_unsafe();
      if (signed_number < 0)
        return fail(wire_errc::bad_value);
      number = static_cast<std::uint64_t>(signed_number);
      break;
    }
    default:  // fractions and exponents included: these fields are integers
      return fail(wire_errc::wrong_type);
  }
  if (number > max)
    return fail(wire_errc::bad_value);
  return number;
}

std::expected<std::string_view, std::error_code> read_string(
    simdjson::dom::element value) noexcept {
  std::string_view text;
  if (value.get_string().get(text))
    return fail(wire_errc::wrong_type);
  return text;
}

std::expected<fingerprint, std::error_code> read_fingerprint(
    simdjson::dom::element value) noexcept {
  auto text = read_string(value);
  if (!text)
    return std::unexpected(text.error());
  auto fp = parse_hex128(*text);
  if (!fp)
    return fail(wire_errc::bad_value);
  return *fp;
}

std::expected<std::uint64_t, std::error_code> read_epoch(simdjson::dom::element value) noexcept {
  auto text = read_string(value);
  if (!text)
    return std::unexpected(text.error());
  auto epoch = parse_hex64(*text);
  if (!epoch)
    return fail(wire_errc::bad_value);
  return *epoch;
}

std::expected<bool, std::error_code> read_bool(simdjson::dom::element value) noexcept {
  bool flag = false;
  if (value.get_bool().get(flag))
    return fail(wire_errc::wrong_type);
  return flag;
}

std::expected<simdjson::dom::array, std::error_code> read_array(
    simdjson::dom::element value) noexcept {
  simdjson::dom::array array;
  if (value.get_array().get(array))
    return fail(wire_errc::wrong_type);
  return array;
}

std::expected<delta_batch, std::error_code> read_delta_object(simdjson::dom::object object) {
  delta_batch batch;
  unsigned seen = 0;
  simdjson::dom::array changes;
  for (auto field : object) {
    const std::string_view key = field.key;
    const simdjson::dom::element value = field.value;
    std::expected<void, std::error_code> ok;
    if (key == "epoch")
      ok = read_member(seen, kEpoch, batch.epoch, [&] { return read_epoch(value); });
    else if (key == "from")
      ok = read_member(seen, kFrom, batch.from, [&] { return read_u64(value, kMaxSeq); });
    else if (key == "to")
      ok = read_member(seen, kTo, batch.to, [&] { return read_u64(value, kMaxSeq); });
    else if (key == "head")
      ok = read_member(seen, kHead, batch.head, [&] { return read_u64(value, kMaxSeq); });
    else if (key == "min_wait_s")
      ok = read_member(seen, kMinWait, batch.min_wait_s,
                       [&] { return read_u64(value, kMaxMinWaitS); });
    else if (key == "more")
      ok = read_member(seen, kMore, batch.more, [&] { return read_bool(value); });
    else if (key == "digest")
      ok = read_member(seen, kDigest, batch.digest, [&] { return read_fingerprint(value); });
    else if (key == "changes")
      ok = read_member(seen, kChanges, changes, [&] { return read_array(value); });
    if (!ok)
      return std::unexpected(ok.error());
  }
  if (seen != kAllBatch)
    return fail(wire_errc::missing_field);
  // size() saturates at 2^24 - 1, still above the limit: checked before reserving.
  if (changes.size() > kMaxBatchChanges)
    return fail(wire_errc::too_large);
  batch.changes.reserve(changes.size());
  for (simdjson::dom::element element : changes) {
    auto change = read_change(element);
    if (!change)
      return std::unexpected(change.error());
    batch.changes.push_back(*change);
  }
  if (auto ok = validate(batch); !ok)
    return std::unexpected(ok.error());
  return batch;
}

}  // namespace banlist::sdk::detail
