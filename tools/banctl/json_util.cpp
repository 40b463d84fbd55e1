#include "json_util.hpp"

#include <vector>

namespace banlist::banctl {

std::optional<rapidjson::Document> parse_json(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (doc.HasParseError())
    return std::nullopt;
  return doc;
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string display_text(const rapidjson::Value& value) {
  if (value.IsString())
    return std::string(value.GetString(), value.GetStringLength());
  if (value.IsNull())
    return {};
  if (value.IsBool())
    return value.GetBool() ? "true" : "false";
  return to_json(value);  // numbers print exactly as parsed; objects and arrays compact
}

std::string field_text(const rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject())
    return {};
  const auto it = object.FindMember(
      rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size())));
  return it == object.MemberEnd() ? std::string() : display_text(it->value);
}

json_object& json_object::string(std::string_view k, std::string_view value) {
  key(k);
  writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  return *this;
}

json_object& json_object::boolean(std::string_view k, bool value) {
  key(k);
  writer_.Bool(value);
  return *this;
}

json_object& json_object::number(std::string_view k, std::uint64_t value) {
  key(k);
  writer_.Uint64(value);
  return *this;
}

json_object& json_object::string_array(std::string_view k,
                                       const std::vector<std::string_view>& values) {
  key(k);
  writer_.StartArray();
  for (const auto v : values)
    writer_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  writer_.EndArray();
  return *this;
}

std::string json_object::take() {
  writer_.EndObject();
  return std::string(buffer_.GetString(), buffer_.GetSize());
}

}  // namespace banlist::banctl
