// json_util: RapidJSON helpers for banctl — parsing replies, reading fields
// as display text (numbers keep all their digits; ids that are strings stay
// strings), and building request bodies. Pure functions / plain values.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace banlist::banctl {

// Parses `text` (the whole reply); nullopt when it is not JSON.
std::optional<rapidjson::Document> parse_json(std::string_view text);

// A value as a table cell: strings as they are, numbers in decimal, true /
// false, "" for null, nested values as compact JSON.
std::string display_text(const rapidjson::Value& value);

// The member `name` of `object` as display text, "" when absent.
std::string field_text(const rapidjson::Value& object, std::string_view name);

// Compact JSON of a value.
std::string to_json(const rapidjson::Value& value);

// Builds one JSON object, member by member, in the order added.
class json_object {
 public:
  json_object() : writer_(buffer_) { writer_.StartObject(); }
  json_object& string(std::string_view key, std::string_view value);
  json_object& boolean(std::string_view key, bool value);
  json_object& number(std::string_view key, std::uint64_t value);
  json_object& string_array(std::string_view key, const std::vector<std::string_view>& values);
  // The finished object.
  std::string take();

 private:
  void key(std::string_view k) {
    writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
  }
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace banlist::banctl
