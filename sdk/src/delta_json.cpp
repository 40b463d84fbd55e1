#include "banlist/sdk/delta_json.hpp"

#include "json_codec.hpp"

namespace banlist::sdk {

std::string encode_delta_json(const delta_batch& batch) {
  rapidjson::StringBuffer buffer;
  // ~150 bytes per change; reserving avoids regrowing for large batches.
  buffer.Reserve(256 + batch.changes.size() * 160);
  detail::json_writer w(buffer);
  w.StartObject();
  detail::write_delta_members(w, batch);
  w.EndObject();
  return detail::take(buffer);
}

std::expected<delta_batch, std::error_code> decode_delta_json(std::string_view text) {
  auto object = detail::parse_object(text);
  if (!object)
    return std::unexpected(object.error());
  return detail::read_delta_object(*object);
}

}  // namespace banlist::sdk
