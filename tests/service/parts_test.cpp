// Pure parts of the HTTP side: query strings, bearer parsing, key hashing,
// request ids, JSON helpers, the response wire form.
#include <sstream>

#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

#include "auth.hpp"
#include "handlers/import_lines.hpp"
#include "http_session.hpp"
#include "json.hpp"
#include "response_wire.hpp"
#include "url.hpp"

using namespace banlist::service;

TEST_CASE("query strings decode and keep order", "[http][url]") {
  auto q = query_params::parse("type=email&value=a%40b.com&x=1+2&type=phone");
  REQUIRE(q);
  REQUIRE(q->find("type"));
  CHECK(*q->find("type") == "email");  // first wins
  CHECK(*q->find("value") == "a@b.com");
  CHECK(*q->find("x") == "1 2");
  CHECK(q->items().size() == 4);
  CHECK_FALSE(q->find("missing"));
  CHECK_FALSE(query_params::parse("a=%zz"));
  CHECK_FALSE(query_params::parse("a=%4"));
  CHECK_FALSE(query_params::parse("a=%00"));
  CHECK_FALSE(query_params::parse("=x"));
  auto split = split_target("/v1/check?fp=1");
  CHECK(split.path == "/v1/check");
  CHECK(split.query == "fp=1");
}

TEST_CASE("bearer header parsing", "[http][auth]") {
  CHECK(parse_bearer("Bearer 0123456789abcdef") ==
        std::optional<std::string_view>("0123456789abcdef"));
  CHECK(parse_bearer("bearer 0123456789abcdef"));
  CHECK_FALSE(parse_bearer("Basic 0123456789abcdef"));
  CHECK_FALSE(parse_bearer("Bearer short"));
  CHECK_FALSE(parse_bearer("Bearer 0123456789 abcdef"));
  CHECK_FALSE(parse_bearer("0123456789abcdef0123"));
  CHECK_FALSE(parse_bearer(""));
}

TEST_CASE("sha256 of a key", "[http][auth]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("request ids are echoed when sane, generated otherwise", "[http]") {
  CHECK(request_id_for("abc-123_x.y") == "abc-123_x.y");
  const std::string generated = request_id_for("bad id with spaces");
  CHECK(generated.size() == 16);
  CHECK(generated.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(request_id_for("") != request_id_for(""));
  CHECK(request_id_for(std::string(129, 'a')).size() == 16);
}

TEST_CASE("JSON helpers reject unknown fields and wrong types", "[http][json]") {
  auto object = parse_json_object(R"({"type":"email","value":5,"extra":true})");
  REQUIRE(object);
  CHECK(first_unknown_field(*object, {"type", "value"}) == std::optional<std::string>("extra"));
  auto type = string_field(*object, "type");
  REQUIRE(type);
  CHECK(**type == "email");
  CHECK_FALSE(string_field(*object, "value"));
  auto missing = string_field(*object, "nope");
  REQUIRE(missing);
  CHECK_FALSE(*missing);
  CHECK_FALSE(parse_json_object("{\"a\":"));
  CHECK_FALSE(parse_json_object("[1,2]"));
  CHECK(error_body("x", "say \"hi\"") == R"({"error":{"code":"x","message":"say \"hi\""}})");
  CHECK(format_time_ms(1714567890123) == "2024-05-01T12:51:30.123Z");
}

// Found by json_request_fuzz: the body's last line, without a final '\n',
// kept one byte past the limit (the allowance for a '\r' before a '\n').
TEST_CASE("import lines: the limit holds for the last line too", "[http][import]") {
  using banlist::service::handlers::body_line;
  using banlist::service::handlers::line_splitter;
  const std::string at_limit(8, 'a');
  const std::string over = at_limit + "b";
  for (const std::string& last : {at_limit, over, at_limit + "\r", over + "\r"}) {
    CAPTURE(last);
    line_splitter splitter(8);
    std::vector<body_line> lines;
    splitter.feed("x\n" + last, lines);
    splitter.finish(lines);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1].number == 2);
    const bool too_long = last.starts_with(over);
    CHECK(lines[1].oversize == too_long);
    CHECK(lines[1].text == (too_long ? "" : at_limit));
  }
  // With the '\n' the same bytes were already judged this way.
  line_splitter splitter(8);
  std::vector<body_line> lines;
  splitter.feed(over + "\n" + at_limit + "\r\n", lines);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].oversize);
  CHECK(lines[1].text == at_limit);
}

namespace {
namespace http = boost::beast::http;

// What Beast's own serializer writes for `res` (after prepare_payload).
std::string beast_bytes(http::response<http::string_body> res) {
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  return out.str();
}

std::string wire_bytes(http::response<http::string_body> res) {
  res.prepare_payload();
  std::string out = "left alone|";
  append_wire(res, out);
  return out.substr(11);
}
}  // namespace

TEST_CASE("a response's wire form is byte for byte what Beast would write", "[http][wire]") {
  http::response<http::string_body> ok{http::status::ok, 11};
  ok.set(http::field::content_type, "application/json");
  ok.set("X-Request-Id", "abc.123");
  ok.set(http::field::server, "banlistd");
  ok.body() = R"({"banned":false})";
  CHECK(wire_bytes(ok) == beast_bytes(ok));
  CHECK(wire_bytes(ok).starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(wire_bytes(ok).ends_with("\r\n\r\n{\"banned\":false}"));

  http::response<http::string_body> old{http::status::not_found, 10};
  old.keep_alive(true);  // HTTP/1.0 says so in a Connection field
  CHECK(wire_bytes(old) == beast_bytes(old));
  CHECK(wire_bytes(old).find("Content-Length: 0\r\n") != std::string::npos);

  http::response<http::string_body> custom{http::status::service_unavailable, 11};
  custom.reason("Try Later");
  custom.set(http::field::retry_after, "1");
  custom.keep_alive(false);
  custom.body() = std::string(5000, 'x');
  CHECK(wire_bytes(custom) == beast_bytes(custom));
  CHECK(wire_bytes(custom).starts_with("HTTP/1.1 503 Try Later\r\n"));
}
