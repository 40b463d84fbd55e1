// RESP codec: hiredis encoding and decoding into redis_value.
#include <catch2/catch.hpp>

#include "store/resp.hpp"

using namespace banlist::service;
using namespace std::string_view_literals;

namespace {
std::vector<redis_value> decode_all(resp_decoder& d) {
  std::vector<redis_value> out;
  while (auto v = d.next())
    out.push_back(std::move(*v));
  return out;
}
}  // namespace

TEST_CASE("encode_command is binary safe", "[redis][resp]") {
  std::string out;
  std::vector<std::string> args{"SET", std::string("k\0ey", 4), "v\r\nx"};
  encode_command(args, out);
  CHECK(out == "*3\r\n$3\r\nSET\r\n$4\r\nk\0ey\r\n$4\r\nv\r\nx\r\n"sv);
}

TEST_CASE("decoder reads every reply type, nested arrays and errors", "[redis][resp]") {
  resp_decoder d;
  REQUIRE(d.feed(
      "+OK\r\n-ERR bad thing\r\n:-42\r\n$-1\r\n$5\r\na\0b\r\n\r\n*2\r\n*1\r\n:1\r\n$0\r\n\r\n"
      "*-1\r\n"sv));
  auto replies = decode_all(d);
  REQUIRE(replies.size() == 7);
  REQUIRE(replies[0].status());
  CHECK(replies[0].status()->text == "OK");
  REQUIRE(replies[1].error());
  CHECK(replies[1].error()->message == "ERR bad thing");
  REQUIRE(replies[2].integer());
  CHECK(*replies[2].integer() == -42);
  CHECK(replies[3].is_nil());
  REQUIRE(replies[4].string());
  CHECK(*replies[4].string() == std::string("a\0b\r\n", 5));
  REQUIRE(replies[5].array());
  REQUIRE(replies[5].array()->size() == 2);
  REQUIRE((*replies[5].array())[0].array());
  CHECK(*(*(*replies[5].array())[0].array())[0].integer() == 1);
  CHECK(*(*replies[5].array())[1].string() == "");
  CHECK(replies[6].is_nil());
  CHECK_FALSE(d.failed());
}

TEST_CASE("decoder handles partial feeds byte by byte", "[redis][resp]") {
  const std::string stream = "*3\r\n$3\r\nfoo\r\n:7\r\n*2\r\n+a\r\n$2\r\nbc\r\n";
  resp_decoder d;
  std::vector<redis_value> replies;
  for (char c : stream) {
    REQUIRE(d.feed(std::string_view(&c, 1)));
    while (auto v = d.next())
      replies.push_back(std::move(*v));
  }
  REQUIRE(replies.size() == 1);
  redis_array inner{redis_value{redis_status{"a"}}, redis_value{std::string("bc")}};
  redis_value expected{redis_array{redis_value{std::string("foo")}, redis_value{std::int64_t{7}},
                                   redis_value{inner}}};
  CHECK(replies[0] == expected);
}

TEST_CASE("decoder reports a malformed stream", "[redis][resp]") {
  resp_decoder d;
  d.feed("?what\r\n");
  CHECK_FALSE(d.next().has_value());
  CHECK(d.failed());
  CHECK_FALSE(d.error().empty());
  CHECK_FALSE(d.feed("+OK\r\n"));
}

TEST_CASE("round trip: an encoded command decodes to the same strings", "[redis][resp]") {
  std::vector<std::string> args{"EVALSHA", std::string(300, '\xff'), std::string("\0", 1), ""};
  std::string wire;
  encode_command(args, wire);
  resp_decoder d;
  REQUIRE(d.feed(wire));
  auto v = d.next();
  REQUIRE(v);
  REQUIRE(v->array());
  REQUIRE(v->array()->size() == args.size());
  for (std::size_t i = 0; i < args.size(); ++i)
    CHECK(*(*v->array())[i].string() == args[i]);
}

TEST_CASE("to_store_error maps every failure kind", "[redis][resp]") {
  CHECK(to_store_error(failure_kind::not_connected, "x").code == store_errc::unavailable);
  CHECK(to_store_error(failure_kind::deadline, "x").code == store_errc::outcome_unknown);
  CHECK(to_store_error(failure_kind::connection_lost, "x").code == store_errc::outcome_unknown);
  CHECK(to_store_error(failure_kind::reader_error, "x").code == store_errc::outcome_unknown);
  CHECK(to_store_error(failure_kind::error_reply, "ERR x").code == store_errc::redis_error);
  CHECK(to_store_error(failure_kind::unexpected_reply, "x").code == store_errc::protocol_error);
  CHECK(to_store_error(failure_kind::not_found, "x").code == store_errc::not_found);
  auto ok = reject_error_reply(redis_value{std::int64_t{1}});
  CHECK(ok.has_value());
  auto bad = reject_error_reply(redis_value{redis_error_reply{"WRONGTYPE x"}});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "WRONGTYPE x");
}
