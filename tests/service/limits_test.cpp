// Size limits, deadlines and the connection cap.
#include <catch2/catch.hpp>

#include <thread>

#include "service_fixture.hpp"

using namespace banlist;
using namespace banlist::test;

TEST_CASE("oversize bodies and too many batch items are 413", "[http][redis][limits]") {
  service_fixture f([](service::service_config& c) {
    c.body_limit = 4096;
    c.batch_body_limit = 2 * 1024 * 1024;
  });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const std::string big_note(8000, 'n');
  auto big = c.post(
      "/v1/bans", mod,
      R"({"type":"email","value":"a@example.com","reason":"spam","note":")" + big_note + R"("})");
  CHECK(big.status == 413);
  CHECK(big.error_code() == "body_too_large");
  CHECK(big.closed);

  // The batch route accepts a larger body: 10,000 items fit...
  auto items = [](std::size_t n) {
    std::string body = R"({"items":[)";
    for (std::size_t i = 0; i < n; ++i) {
      if (i)
        body += ',';
      body += R"({"type":"email","value":"user)" + std::to_string(i) + R"(@example.com"})";
    }
    return body + "]}";
  };
  auto ten_thousand = c.post("/v1/check", partner, items(10000));
  REQUIRE(ten_thousand.status == 200);
  simdjson::dom::array results;
  REQUIRE_FALSE(ten_thousand.json()["results"].get(results));
  CHECK(results.size() == 10000);
  // ...one more is refused.
  auto too_many = c.post("/v1/check", partner, items(10001));
  CHECK(too_many.status == 413);
  CHECK(too_many.error_code() == "too_many_items");
}

TEST_CASE("a header over the limit is 431 and closes", "[http][redis][limits]") {
  service_fixture f;
  auto c = f.client();
  auto reply = c.request(boost::beast::http::verb::get, "/healthz", "", "",
                         {{"X-Padding", std::string(9000, 'p')}});
  CHECK(reply.status == 431);
  CHECK(reply.error_code() == "header_too_large");
  CHECK(reply.closed);
  auto garbage = f.client().raw("NOT HTTP AT ALL\r\n\r\n");
  CHECK(garbage.status == 400);
}

TEST_CASE("a request not finished within the read deadline is dropped", "[http][redis][limits]") {
  service_fixture f(
      [](service::service_config& c) { c.read_timeout = std::chrono::milliseconds(300); });
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), f.port()});
  boost::asio::write(s, boost::asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));
  char byte;
  boost::system::error_code ec;
  const auto start = std::chrono::steady_clock::now();
  s.read_some(boost::asio::buffer(&byte, 1), ec);  // blocks until the server closes
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(ec);  // closed, nothing sent
  CHECK(waited >= std::chrono::milliseconds(200));
  CHECK(waited < std::chrono::seconds(5));
}

TEST_CASE("connections over max-connections get 503", "[http][redis][limits]") {
  service_fixture f([](service::service_config& c) { c.max_connections = 2; });
  auto a = f.client();
  auto b = f.client();
  REQUIRE(a.get("/healthz").status == 200);
  REQUIRE(b.get("/healthz").status == 200);
  auto third = f.client();
  auto refused = third.get("/healthz");
  CHECK(refused.status == 503);
  CHECK(refused.error_code() == "too_many_connections");
  CHECK(refused.header("retry-after") == "1");
}
