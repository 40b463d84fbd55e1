#include "api.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <ostream>

#include "command.hpp"
#include "json_util.hpp"

namespace banlist::banctl {
namespace {

constexpr std::string_view kDefaultUrl = "http://127.0.0.1:8080";

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// What the user can do about a failed reply, by status and error code.
std::string advice(unsigned status, std::string_view code, const http_reply& reply) {
  if (status == 401)
    return "key unknown or revoked — check BANLIST_KEY (or --key / --key-file)";
  if (status == 403)
    return "this key's role is too small — use a moderator or admin key as the message says";
  if (code == "bulk_change_limit" || code == "confirm_required")
    return "check the file, then repeat with --confirm";
  if (code == "outcome_unknown")
    return "the change may or may not have been applied; repeating the command is safe";
  if (status == 503) {
    return "the service cannot reach Redis or is starting; retry" +
           (reply.retry_after.empty() ? std::string(" later") : " in " + reply.retry_after + " s");
  }
  if (status >= 500)
    return "server error; give the request id to the operator";
  return {};
}

}  // namespace

std::expected<session, int> open_session(const command_line& line, std::string_view command,
                                         std::ostream& err) {
  const std::string name = "banctl " + std::string(command);
  std::string url_text = env("BANLIST_URL");
  if (const auto u = line.value("--url"))
    url_text = std::string(*u);
  if (url_text.empty())
    url_text = std::string(kDefaultUrl);
  auto url = parse_server_url(url_text);
  if (!url) {
    err << name << ": " << url.error() << "\n";
    return std::unexpected(kExitUsage);
  }
  std::string key = env("BANLIST_KEY");
  if (const auto k = line.value("--key"))
    key = std::string(*k);
  if (const auto path = line.value("--key-file")) {
    std::ifstream in{std::string(*path)};
    if (!in) {
      err << name << ": cannot read the key file " << *path << "\n";
      return std::unexpected(kExitUsage);
    }
    std::getline(in, key);
    while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t'))
      key.pop_back();
  }
  if (key.empty()) {
    err << name << ": no API key — set BANLIST_KEY, or pass --key-file PATH\n";
    return std::unexpected(kExitUsage);
  }
  std::uint64_t timeout = 30;
  if (const auto t = line.value("--timeout")) {
    const auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), timeout);
    if (ec != std::errc() || end != t->data() + t->size() || timeout == 0 || timeout > 86400) {
      err << name << ": --timeout takes whole seconds (1 to 86400)\n";
      return std::unexpected(kExitUsage);
    }
  }
  return session{http_client(std::move(*url), std::move(key),
                             std::chrono::seconds(static_cast<long>(timeout))),
                 line.flag("--json"), name};
}

int exit_code_for_status(unsigned status) {
  if (status >= 200 && status < 300)
    return kExitOk;
  if (status == 401 || status == 403)
    return kExitAuth;
  if (status == 404 || status == 410)
    return kExitNotFound;
  if (status == 409)
    return kExitConflict;
  if (status >= 500 || status == 429)
    return kExitUnavailable;
  return kExitInvalidInput;
}

int report_reply_error(std::ostream& err, const session& s, const http_reply& reply) {
  std::string code;
  std::string message;
  std::string rule;
  if (const auto doc = parse_json(reply.body); doc && doc->IsObject() && doc->HasMember("error")) {
    const auto& e = (*doc)["error"];
    code = field_text(e, "code");
    message = field_text(e, "message");
    rule = field_text(e, "rule");
  } else {
    message = reply.body.substr(0, 200);
  }
  err << s.command << ": " << reply.status;
  if (!code.empty())
    err << " " << code;
  if (!message.empty())
    err << ": " << message;
  if (!rule.empty() && message.find(rule) == std::string::npos)
    err << " (rule " << rule << ")";
  if (const auto hint = advice(reply.status, code, reply); !hint.empty())
    err << " — " << hint;
  err << "\n";
  if (!reply.request_id.empty() && reply.status >= 500)
    err << s.command << ": request id " << reply.request_id << "\n";
  return exit_code_for_status(reply.status);
}

int report_transport_error(std::ostream& err, const session& s, const transport_error& e) {
  err << s.command << ": " << e.message;
  if (e.after_send)
    err << " (the request was sent: if it was a change, it may or may not have been applied; "
           "repeating it is safe)";
  err << "\n";
  return kExitNetwork;
}

std::expected<http_reply, int> call(session& s, std::string_view method, std::string_view target,
                                    std::ostream& err, std::string_view body) {
  auto reply = s.client.request(method, target, body);
  if (!reply)
    return std::unexpected(report_transport_error(err, s, reply.error()));
  if (reply->status < 200 || reply->status >= 300)
    return std::unexpected(report_reply_error(err, s, *reply));
  return std::move(*reply);
}

void add_query(std::string& target, std::string_view name, std::string_view value) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += name;
  target += '=';
  target += url_encode(value);
}

}  // namespace banlist::banctl
