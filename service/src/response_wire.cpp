#include "response_wire.hpp"

#include <charconv>

namespace banlist::service {

void append_head(const boost::beast::http::response<boost::beast::http::string_body>& res,
                 std::string& out) {
  const auto text = [](boost::beast::string_view s) {
    return std::string_view(s.data(), s.size());
  };
  out += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char status[8];
  const auto end = std::to_chars(status, status + sizeof status, res.result_int()).ptr;
  out.append(status, end);
  out += ' ';
  out += text(res.reason());
  out += "\r\n";
  for (const auto& field : res) {
    out += text(field.name_string());
    out += ": ";
    out += text(field.value());
    out += "\r\n";
  }
  out += "\r\n";
}

void append_wire(const boost::beast::http::response<boost::beast::http::string_body>& res,
                 std::string& out) {
  append_head(res, out);
  out += res.body();
}

}  // namespace banlist::service
