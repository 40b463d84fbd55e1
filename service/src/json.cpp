#include "json.hpp"

#include <ctime>

namespace banlist::service {

std::expected<simdjson::dom::object, std::string> parse_json_object(std::string_view body) {
  // The parser keeps its buffers between documents: one per thread means no
  // allocation per request and no sharing between threads.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(body.data(), body.size(), true).get(root)) {
    return std::unexpected(std::string("malformed JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object object;
  if (root.get(object))
    return std::unexpected(std::string("the body must be a JSON object"));
  return object;
}

std::optional<std::string> first_unknown_field(simdjson::dom::object object,
                                               std::initializer_list<std::string_view> allowed) {
  for (auto field : object) {
    bool known = false;
    for (auto name : allowed)
      known = known || field.key == name;
    if (!known)
      return std::string(field.key);
  }
  return std::nullopt;
}

std::expected<std::optional<std::string>, std::string> string_field(simdjson::dom::object object,
                                                                    std::string_view name) {
  simdjson::dom::element element;
  if (object.at_key(name).get(element))
    return std::optional<std::string>{};
  std::string_view text;
  if (element.get(text))
    return std::unexpected("field '" + std::string(name) + "' must be a string");
  return std::optional<std::string>(std::string(text));
}

std::expected<std::optional<bool>, std::string> bool_field(simdjson::dom::object object,
                                                           std::string_view name) {
  simdjson::dom::element element;
  if (object.at_key(name).get(element))
    return std::optional<bool>{};
  bool value = false;
  if (element.get(value))
    return std::unexpected("field '" + std::string(name) + "' must be a boolean");
  return std::optional<bool>(value);
}

std::expected<std::optional<std::int64_t>, std::string> int_field(simdjson::dom::object object,
                                                                  std::string_view name) {
  simdjson::dom::element element;
  if (object.at_key(name).get(element))
    return std::optional<std::int64_t>{};
  std::int64_t value = 0;
  if (element.get(value)) {
    return std::unexpected("field '" + std::string(name) + "' must be an integer");
  }
  return std::optional<std::int64_t>(value);
}

std::string error_body(std::string_view code, std::string_view message) {
  json_writer out;
  out.begin_object().key("error").begin_object();
  out.key("code").string(code).key("message").string(message);
  out.end_object().end_object();
  return out.take();
}

void write_ban_record(json_writer& out, const ban_record& record, bool with_value) {
  out.begin_object();
  out.key("fp").string(record.fp.to_hex());
  out.key("type").string(sdk::to_string(record.type));
  if (with_value)
    out.key("value").string(record.value);
  out.key("masked").string(record.masked);
  out.key("reason").string(record.reason);
  if (with_value) {
    // Moderator-only context: notes and case ids may point at people.
    if (!record.note.empty())
      out.key("note").string(record.note);
    if (!record.case_id.empty())
      out.key("case_id").string(record.case_id);
    if (!record.source.empty())
      out.key("source").string(record.source);
    out.key("banned_by").string(record.banned_by);
    if (!record.report_id.empty())
      out.key("report_id").string(record.report_id);  // issue 7: accepted partner report
  }
  out.key("public").boolean(record.is_public);
  out.key("banned_at").string(format_time_ms(record.banned_at_ms));
  if (record.expires_at)
    out.key("expires_at").integer(*record.expires_at);
  out.key("seq").uint(record.seq);
  out.key("status").string(record.status == ban_status::banned ? "banned" : "lifted");
  if (record.status == ban_status::lifted) {
    out.key("lifted_at").string(format_time_ms(record.lifted_at_ms));
    out.key("lift_reason").string(record.lift_reason);
    out.key("lift_seq").uint(record.lift_seq);
    if (with_value) {
      out.key("lifted_by").string(record.lifted_by);
      if (!record.lift_case_id.empty())
        out.key("lift_case_id").string(record.lift_case_id);
      if (!record.lift_note.empty())
        out.key("lift_note").string(record.lift_note);
    }
  }
  out.end_object();
}

std::string format_time_ms(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char full[48];
  std::snprintf(full, sizeof full, "%.*s.%03dZ", static_cast<int>(n), text,
                static_cast<int>(unix_ms % 1000));
  return full;
}

}  // namespace banlist::service
