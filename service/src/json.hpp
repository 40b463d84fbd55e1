// JSON in (simdjson DOM) and out (RapidJSON Writer) for the HTTP handlers.
//
// Parsing uses one simdjson parser per thread; the elements it returns point
// into that parser, so a handler must copy what it needs into plain values
// before it suspends (co_await). Thread-safe in that sense; json_writer is a
// plain value owned by one handler.
#pragma once

#include <cstdint>
#include <expected>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include "store/record_codec.hpp"
#include "store/records.hpp"

namespace banlist::service {

// Parses `body` as one JSON document whose root must be an object.
// Returns a message for humans on failure.
std::expected<simdjson::dom::object, std::string> parse_json_object(std::string_view body);

// Returns the first key of `object` that is not in `allowed`, if any.
std::optional<std::string> first_unknown_field(simdjson::dom::object object,
                                               std::initializer_list<std::string_view> allowed);

// Typed field getters. A missing field is nullopt; a field of the wrong type is
// an error naming the field.
std::expected<std::optional<std::string>, std::string> string_field(simdjson::dom::object object,
                                                                    std::string_view name);
std::expected<std::optional<bool>, std::string> bool_field(simdjson::dom::object object,
                                                           std::string_view name);
std::expected<std::optional<std::int64_t>, std::string> int_field(simdjson::dom::object object,
                                                                  std::string_view name);

// A growing JSON text. Thin wrapper so handlers read as the document they write.
class json_writer {
 public:
  json_writer() : buffer_(&shared_allocator()), writer_(buffer_) {}
  json_writer(const json_writer&) = delete;
  json_writer& operator=(const json_writer&) = delete;

  json_writer& begin_object() {
    writer_.StartObject();
    return *this;
  }
  json_writer& end_object() {
    writer_.EndObject();
    return *this;
  }
  json_writer& begin_array() {
    writer_.StartArray();
    return *this;
  }
  json_writer& end_array() {
    writer_.EndArray();
    return *this;
  }
  json_writer& key(std::string_view k) {
    writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    return *this;
  }
  json_writer& string(std::string_view v) {
    writer_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
  }
  json_writer& uint(std::uint64_t v) {
    writer_.Uint64(v);
    return *this;
  }
  json_writer& integer(std::int64_t v) {
    writer_.Int64(v);
    return *this;
  }
  json_writer& number(double v) {
    writer_.Double(v);
    return *this;
  }
  json_writer& boolean(bool v) {
    writer_.Bool(v);
    return *this;
  }
  json_writer& null() {
    writer_.Null();
    return *this;
  }

  std::string take() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  // CrtAllocator holds no state; without one to share, every buffer would
  // allocate its own on its first write.
  static rapidjson::CrtAllocator& shared_allocator() noexcept {
    static rapidjson::CrtAllocator allocator;
    return allocator;
  }
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// Returns {"error":{"code":...,"message":...}}.
std::string error_body(std::string_view code, std::string_view message);

// Writes a ban record as an object. `with_value` adds the raw (normalized)
// identifier, for moderators only.
void write_ban_record(json_writer& out, const ban_record& record, bool with_value);

// Role names on the wire: "partner", "moderator", "admin" (the store's codec
// owns the mapping; parse_role comes from there too).
inline std::string_view role_name(role r) noexcept {
  return to_string(r);
}

// RFC 3339 UTC text of a unix time in milliseconds ("2024-05-01T12:00:00.000Z").
std::string format_time_ms(std::int64_t unix_ms);

}  // namespace banlist::service
