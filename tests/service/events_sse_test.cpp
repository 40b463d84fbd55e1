// GET /v1/events (Server-Sent Events) read by a plain HTTP client over a
// socket: the event framing, comment heartbeats, Last-Event-ID resume and
// the reset event for a cursor the log cannot serve.
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "stream_support.hpp"

using namespace banlist;
using namespace banlist::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct sse_event {
  std::string id;
  std::string event;
  std::string data;
  std::string comment;
};

// Sends one GET and parses the event stream as it arrives.
class sse_reader {
 public:
  sse_reader(std::uint16_t port, const std::string& target, const std::string& bearer,
             const std::string& last_event_id = "")
      : socket_(ioc_) {
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::string req =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    req += "Authorization: Bearer " + bearer + "\r\n";
    if (!last_event_id.empty())
      req += "Last-Event-ID: " + last_event_id + "\r\n";
    req += "\r\n";
    asio::write(socket_, asio::buffer(req));
    while (data_.find("\r\n\r\n") == std::string::npos) {
      if (!fill(10s))
        throw std::runtime_error("sse: no response header");
    }
    const auto end = data_.find("\r\n\r\n");
    header_ = data_.substr(0, end);
    data_.erase(0, end + 4);
  }

  const std::string& header() const { return header_; }

  // The next event (or comment), or nullopt when the server closed.
  std::optional<sse_event> next(std::chrono::milliseconds timeout = 10s) {
    while (data_.find("\n\n") == std::string::npos) {
      if (!fill(timeout))
        return std::nullopt;
    }
    const auto end = data_.find("\n\n");
    const std::string block = data_.substr(0, end);
    data_.erase(0, end + 2);
    sse_event e;
    std::size_t pos = 0;
    while (pos <= block.size()) {
      auto nl = block.find('\n', pos);
      if (nl == std::string::npos)
        nl = block.size();
      const std::string line = block.substr(pos, nl - pos);
      if (line.rfind("id: ", 0) == 0)
        e.id = line.substr(4);
      else if (line.rfind("event: ", 0) == 0)
        e.event = line.substr(7);
      else if (line.rfind("data: ", 0) == 0)
        e.data += line.substr(6);
      else if (line.rfind(": ", 0) == 0)
        e.comment = line.substr(2);
      pos = nl + 1;
    }
    return e;
  }

 private:
  bool fill(std::chrono::milliseconds timeout) {
    char chunk[4096];
    bool done = false;
    boost::system::error_code result;
    std::size_t got = 0;
    socket_.async_read_some(asio::buffer(chunk), [&](boost::system::error_code ec, std::size_t n) {
      result = ec;
      got = n;
      done = true;
    });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!done) {
      socket_.close();
      ioc_.restart();
      ioc_.run();
      throw std::runtime_error("sse: read timed out");
    }
    if (result)
      return false;
    data_.append(chunk, got);
    return true;
  }

  asio::io_context ioc_;
  asio::ip::tcp::socket socket_;
  std::string data_;
  std::string header_;
};

}  // namespace

TEST_CASE("SSE: events with ids, comment heartbeats, Last-Event-ID resume", "[events][redis]") {
  service_fixture f([](service::service_config& c) { c.heartbeat_interval = 200ms; });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  sdk::replica_set replica(f.server().state().epoch());
  std::uint64_t head = 0;
  for (int i = 0; i < 3; ++i)
    head = ban_email(c, mod, "sse" + std::to_string(i) + "@example.com");

  std::string last_id;
  {
    sse_reader sse(f.port(), "/v1/events?since=0", partner);
    CHECK(sse.header().rfind("HTTP/1.1 200", 0) == 0);
    CHECK(sse.header().find("Content-Type: text/event-stream") != std::string::npos);
    bool heartbeat = false;
    while (replica.seq() < head || !heartbeat) {
      auto e = sse.next();
      REQUIRE(e);
      if (!e->comment.empty()) {
        auto m = decode(e->comment);
        REQUIRE(std::holds_alternative<sdk::heartbeat>(m));
        heartbeat = true;
        continue;
      }
      auto m = decode(e->data);
      REQUIRE(std::holds_alternative<sdk::delta_batch>(m));
      const auto& batch = std::get<sdk::delta_batch>(m);
      REQUIRE(replica.apply(batch));
      CHECK(e->id == std::to_string(batch.to));
      last_id = e->id;
    }
  }
  // Changes made while disconnected arrive after the resume point, once.
  for (int i = 3; i < 6; ++i)
    head = ban_email(c, mod, "sse" + std::to_string(i) + "@example.com");
  sse_reader resumed(f.port(), "/v1/events?since=0", partner, last_id);  // header wins
  while (replica.seq() < head) {
    auto e = resumed.next();
    REQUIRE(e);
    if (!e->comment.empty())
      continue;
    auto m = decode(e->data);
    REQUIRE(std::holds_alternative<sdk::delta_batch>(m));
    const auto& batch = std::get<sdk::delta_batch>(m);
    REQUIRE(batch.from == replica.seq());
    REQUIRE(replica.apply(batch));
  }
  CHECK(replica.size() == 6);
}

TEST_CASE("SSE: a cursor beyond the log gets a reset event, then the stream ends",
          "[events][redis]") {
  service_fixture f;
  const std::string partner = f.issue_key("partner");
  sse_reader sse(f.port(), "/v1/events?since=50", partner);
  auto e = sse.next();
  REQUIRE(e);
  CHECK(e->event == "reset");
  auto m = decode(e->data);
  REQUIRE(std::holds_alternative<sdk::reset_notice>(m));
  CHECK(std::get<sdk::reset_notice>(m).reason == sdk::reset_reason::resync_required);
  CHECK_FALSE(sse.next());
}
