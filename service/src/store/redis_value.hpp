// redis_value: one decoded Redis reply, owned by us (hiredis replies are
// copied into it and freed at once). Plain value type; safe to copy and to
// move between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace banlist::service {

struct redis_nil {
  friend bool operator==(const redis_nil&, const redis_nil&) = default;
};
// "+OK"-style simple string.
struct redis_status {
  std::string text;
  friend bool operator==(const redis_status&, const redis_status&) = default;
};
// "-ERR ..." reply: Redis refused the command. Not an I/O failure.
struct redis_error_reply {
  std::string message;
  friend bool operator==(const redis_error_reply&, const redis_error_reply&) = default;
};

struct redis_value;
using redis_array = std::vector<redis_value>;

struct redis_value {
  std::variant<redis_nil, std::int64_t, std::string, redis_status, redis_error_reply, redis_array>
      data;

  bool is_nil() const noexcept { return std::holds_alternative<redis_nil>(data); }
  bool is_error() const noexcept { return std::holds_alternative<redis_error_reply>(data); }
  const std::int64_t* integer() const noexcept { return std::get_if<std::int64_t>(&data); }
  const std::string* string() const noexcept { return std::get_if<std::string>(&data); }
  const redis_status* status() const noexcept { return std::get_if<redis_status>(&data); }
  const redis_error_reply* error() const noexcept { return std::get_if<redis_error_reply>(&data); }
  const redis_array* array() const noexcept { return std::get_if<redis_array>(&data); }
  redis_array* array() noexcept { return std::get_if<redis_array>(&data); }

  friend bool operator==(const redis_value&, const redis_value&) = default;
};

}  // namespace banlist::service
