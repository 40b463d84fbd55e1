// libFuzzer target: each input is everything a client sends on one
// connection, served by banlistd's own http_session (framing, limits,
// router, authentication, handlers) over Beast's in-memory test stream; the
// input ends in EOF.
//
// Redis: a real one. LLVMFuzzerInitialize starts a redis-server
// (tests/support) and an in-process banlistd on it with a fixed admin key
// (kAdminKey, which the seed corpus uses), so inputs that pass the framing
// reach the handlers and their body decoders (bans, check batch, keys,
// reports, bulletins, import) and their writes, not only the 401/503 that a
// store-less server answers before any body is read. Writes land: the list
// grows during a run, which only widens what later inputs meet.
//
// Nothing may crash, leak or trip a sanitizer, and:
//   - the bytes written back parse as a sequence of HTTP/1.1 responses;
//   - none is a 500 (a handler that threw: the session's last line of
//     defence, a bug wherever it happens);
//   - each final response carries X-Request-Id;
//   - after the input the session is gone from the registry (it released
//     itself and its stream).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>

#include "http_session.hpp"
#include "redis_server.hpp"
#include "server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using test_session = banlist::service::http_session<beast::test::stream>;

// The seed corpus (tests/fuzz/corpus/http_session_fuzz/) sends this key.
const std::string kAdminKey = "fuzz-admin-key-0123456789abcdef";

// fsync per write would make each input that bans wait for the disk; the
// fuzzer judges answers, not durability (tests/reliability does that).
banlist::test::redis_server_options redis_options() {
  banlist::test::redis_server_options options;
  options.appendfsync = "no";
  return options;
}

struct fixture {
  banlist::test::redis_server redis{redis_options()};
  std::unique_ptr<banlist::service::server> server;
  asio::io_context ioc;  // the sessions' executor; run once per input
};
fixture* the_fixture = nullptr;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "http_session_fuzz: %s\n", what.c_str());
  std::abort();
}

void stop_fixture() {
  if (the_fixture == nullptr)
    return;
  the_fixture->server->stop();
  (void)the_fixture->server->wait();
  delete the_fixture;  // stops redis-server, deletes its directory
  the_fixture = nullptr;
}

// Parses `out` as the responses the session wrote, in order.
void check_responses(std::string_view out) {
  beast::flat_buffer buffer;
  buffer.commit(
      asio::buffer_copy(buffer.prepare(out.size()), asio::buffer(out.data(), out.size())));
  while (buffer.size() > 0) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    beast::error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (!ec && !parser.is_done()) {
      parser.put_eof(ec);  // a body delimited by the close
    }
    if (ec || !parser.is_done())
      fail("the session wrote bytes that are not an HTTP response: " + ec.message() + "\n" +
           std::string(out));
    const auto& res = parser.get();
    if (res.result_int() == 500)
      fail("a 500 answer (a handler threw):\n" + std::string(out));
    if (res.result_int() >= 200 && res["X-Request-Id"].empty())
      fail("a response without X-Request-Id:\n" + std::string(out));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  the_fixture = new fixture;
  banlist::service::service_config config;
  config.listen_host = "127.0.0.1";
  config.listen_port = 0;
  config.redis_url = the_fixture->redis.url();
  config.threads = 1;
  config.seed = 0x5eed;
  config.filter_capacity = 10000;
  config.admin_key = kAdminKey;
  config.shutdown_timeout = std::chrono::seconds(2);
  // Public routes are limited per client address; every input comes from
  // the same one, so the limits would soon answer 429 to everything.
  config.public_lookup_per_minute = 1e9;
  config.public_lookup_burst = 1e9;
  config.public_page_per_minute = 1e9;
  config.public_page_burst = 1e9;
  auto started = banlist::service::server::start(config, {});
  if (!started)
    fail("server start: " + started.error());
  the_fixture->server = std::move(*started);
  if (!the_fixture->server->wait_ready(std::chrono::seconds(30)))
    fail("the server did not become ready");
  std::atexit(stop_fixture);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& f = *the_fixture;
  auto& state = f.server->state();
  beast::test::stream server_end(f.ioc);
  beast::test::stream client_end(f.ioc);
  server_end.connect(client_end);
  server_end.append(beast::string_view(reinterpret_cast<const char*>(data), size));
  server_end.close_remote();  // the session reads EOF after the input
  std::make_shared<test_session>(std::move(server_end), state, "127.0.0.1")->start();
  f.ioc.restart();
  f.ioc.run();  // until the session ends (store calls complete on it too)
  const auto written = client_end.str();
  check_responses(std::string_view(written.data(), written.size()));
  if (state.sessions().size() != 0)
    fail("the session outlived its connection");
  return 0;
}
