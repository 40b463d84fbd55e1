#include "common.hpp"

#include <charconv>
#include <chrono>
#include <ctime>
#include <ostream>

namespace banlist::banctl {

std::expected<command_line, int> parse_command(command_args args, std::string_view name,
                                               std::string_view usage,
                                               std::initializer_list<std::string_view> with_value,
                                               std::initializer_list<std::string_view> flags,
                                               std::ostream& out, std::ostream& err) {
  std::string error;
  auto line = command_line::parse(args, with_value, flags, error);
  if (!line)
    return std::unexpected(usage_error(err, name, error, usage));
  if (line->help()) {
    out << usage;
    return std::unexpected(kExitOk);
  }
  return std::move(*line);
}

int usage_error(std::ostream& err, std::string_view name, std::string_view message,
                std::string_view usage) {
  err << "banctl " << name << ": " << message << "\n\n" << usage;
  return kExitUsage;
}

int print_reply(const session& s, const http_reply& reply, std::ostream& out,
                const std::function<void(const rapidjson::Document&)>& print) {
  if (s.json) {
    out << reply.body;
    if (!reply.body.empty() && reply.body.back() != '\n')
      out << '\n';
    return kExitOk;
  }
  const auto doc = parse_json(reply.body);
  if (!doc) {
    out << reply.body << '\n';
    return kExitOk;
  }
  print(*doc);
  return kExitOk;
}

namespace {
bool is_fingerprint(std::string_view text) {
  if (text.size() != 32)
    return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  }
  return true;
}
}  // namespace

std::expected<std::string, int> fingerprint_argument(session& s, const command_line& line,
                                                     std::size_t position, std::string_view usage,
                                                     std::ostream& err) {
  const auto type = line.value("--type");
  const auto value = line.value("--value");
  const auto& pos = line.positional();
  const std::string name = s.command.substr(7);
  if (type || value) {
    if (!type || !value)
      return std::unexpected(usage_error(err, name, "--type and --value go together", usage));
    if (pos.size() != position)
      return std::unexpected(
          usage_error(err, name, "give either FP or --type and --value, not both", usage));
    std::string target = "/v1/check";
    add_query(target, "type", *type);
    add_query(target, "value", *value);
    auto reply = call(s, "GET", target, err);
    if (!reply)
      return std::unexpected(reply.error());
    const auto doc = parse_json(reply->body);
    const std::string fp = doc ? field_text(*doc, "fp") : std::string();
    if (!is_fingerprint(fp)) {
      err << s.command << ": the server's answer to /v1/check carried no fingerprint\n";
      return std::unexpected(kExitUnavailable);
    }
    return fp;
  }
  if (pos.size() != position + 1)
    return std::unexpected(usage_error(err, name, "expected FP, or --type and --value", usage));
  if (!is_fingerprint(pos[position])) {
    std::string message = "'";
    message.append(pos[position]);
    message.append(
        "' is not a fingerprint (32 hex digits); to name an identifier use --type "
        "and --value, or see `banctl fingerprint`");
    return std::unexpected(usage_error(err, name, message, usage));
  }
  return std::string(pos[position]);
}

std::optional<std::int64_t> parse_time(std::string_view text, bool relative_is_future) {
  if (text.empty())
    return std::nullopt;
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size() && number >= 0)
    return number;
  if (ec == std::errc() && end + 1 == text.data() + text.size() && number >= 0) {
    std::int64_t unit = 0;
    switch (text.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        return std::nullopt;
    }
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    return relative_is_future ? now + number * unit : now - number * unit;
  }
  // RFC 3339: YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)
  std::tm tm{};
  int offset_sign = 0, off_h = 0, off_m = 0;
  const std::string s(text);
  char sep = 0;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &sep, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 7 ||
      (sep != 'T' && sep != 't' && sep != ' '))
    return std::nullopt;
  std::string_view rest = std::string_view(s).substr(static_cast<std::size_t>(consumed));
  if (rest.starts_with(".")) {
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9')
      rest.remove_prefix(1);
  }
  if (rest == "Z" || rest == "z") {
    offset_sign = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    offset_sign = rest[0] == '+' ? 1 : -1;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &off_h, &off_m) != 2)
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = ::timegm(&tm);
  if (t < 0)
    return std::nullopt;
  return static_cast<std::int64_t>(t) - offset_sign * (off_h * 3600 + off_m * 60);
}

void add_filters(std::string& target, const command_line& line,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> filters) {
  for (const auto& [option, query] : filters) {
    if (const auto v = line.value(option))
      add_query(target, query, *v);
  }
}

}  // namespace banlist::banctl

namespace banlist::banctl {

int list_pages(session& s, std::string target, const paging& p, std::string_view start_cursor,
               bool all, std::ostream& out, std::ostream& err,
               const std::function<void(const rapidjson::Value&)>& on_item, std::string& next) {
  next.clear();
  std::string cursor(start_cursor);
  while (true) {
    std::string page_target = target;
    if (!cursor.empty())
      add_query(page_target, p.cursor_param, cursor);
    auto reply = call(s, "GET", page_target, err);
    if (!reply)
      return reply.error();
    const auto doc = parse_json(reply->body);
    if (!doc || !doc->IsObject()) {
      err << s.command << ": the server's answer is not a JSON object\n";
      return kExitUnavailable;
    }
    if (s.json && !all) {
      out << reply->body;
      if (!reply->body.empty() && reply->body.back() != '\n')
        out << '\n';
    }
    const std::string items(p.items_member);
    if (doc->HasMember(items.c_str()) && (*doc)[items.c_str()].IsArray()) {
      for (const auto& item : (*doc)[items.c_str()].GetArray()) {
        if (s.json && all)
          out << to_json(item) << '\n';
        else if (!s.json)
          on_item(item);
      }
    }
    next = field_text(*doc, p.next_member);
    if (!all || next.empty() || next == cursor)
      return kExitOk;
    cursor = next;
  }
}

}  // namespace banlist::banctl
