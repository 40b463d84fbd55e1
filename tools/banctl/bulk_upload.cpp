#include "bulk_upload.hpp"

#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <limits>

#include "connection.hpp"

namespace banlist::banctl {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using clock = std::chrono::steady_clock;

struct exchange_state {
  explicit exchange_state(asio::io_context& ioc) : watchdog(ioc) {}
  clock::time_point last_progress = clock::now();
  bool reader_done = false;
  bool writer_done = false;
  bool timed_out = false;
  std::string write_error;
  asio::steady_timer watchdog;
};

std::string header_value(const http::fields& f, std::string_view name) {
  const auto it = f.find(boost::beast::string_view(name.data(), name.size()));
  return it == f.end() ? std::string() : std::string(it->value());
}

template <class Stream>
asio::awaitable<void> send_body(Stream& stream, const upload_spec& spec, exchange_state& st) {
  boost::system::error_code ec;
  if (!spec.first_chunk.empty()) {
    auto chunk = http::make_chunk(asio::buffer(spec.first_chunk));
    co_await asio::async_write(stream, chunk, asio::redirect_error(asio::use_awaitable, ec));
  }
  std::ifstream in(spec.file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(spec.offset));
  std::string piece;
  std::vector<char> buffer(64 * 1024);
  // With a rate limit, send a twentieth of a second's lines at a time.
  const std::uint64_t lines_per_tick =
      spec.max_rate == 0 ? 0 : std::max<std::uint64_t>(1, spec.max_rate / 20);
  asio::steady_timer pace(co_await asio::this_coro::executor);
  auto next_tick = clock::now();
  while (!ec && !st.reader_done && in) {
    piece.clear();
    if (lines_per_tick == 0) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      piece.assign(buffer.data(), static_cast<std::size_t>(in.gcount()));
    } else {
      std::string line;
      for (std::uint64_t i = 0; i < lines_per_tick && std::getline(in, line); ++i) {
        piece += line;
        piece += '\n';
      }
      next_tick += std::chrono::milliseconds(50);
      pace.expires_at(next_tick);
      boost::system::error_code wait_ec;
      co_await pace.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
    }
    if (piece.empty())
      break;
    auto chunk = http::make_chunk(asio::buffer(piece));
    co_await asio::async_write(stream, chunk, asio::redirect_error(asio::use_awaitable, ec));
    st.last_progress = clock::now();
  }
  if (!ec && !st.reader_done) {
    auto last = http::make_chunk_last();
    co_await asio::async_write(stream, last, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec)
    st.write_error = ec.message();
  st.writer_done = true;
}

// Closes the socket when neither side made progress within the timeout.
asio::awaitable<void> watch(connection& c, exchange_state& st, std::chrono::seconds timeout) {
  while (!st.reader_done) {
    st.watchdog.expires_after(std::chrono::milliseconds(250));
    boost::system::error_code ec;
    co_await st.watchdog.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!st.reader_done && clock::now() - st.last_progress > timeout) {
      st.timed_out = true;
      c.socket.close(ec);
      co_return;
    }
  }
}

template <class Stream>
asio::awaitable<void> exchange(connection& c, Stream& stream, const http_client& client,
                               const upload_spec& spec,
                               const std::function<bool(std::string_view)>& on_line,
                               exchange_state& st, upload_result& result,
                               std::optional<transport_error>& failure) {
  boost::system::error_code ec;
  const auto& url = client.url();
  http::request<http::empty_body> req(http::verb::post, url.prefix + spec.target, 11);
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "banctl");
  req.set(http::field::authorization, authorization_value(client.key()));
  req.set(http::field::content_type, spec.content_type);
  req.set(http::field::expect, "100-continue");
  req.keep_alive(false);
  req.chunked(true);
  http::request_serializer<http::empty_body> serializer(req);
  co_await http::async_write_header(stream, serializer,
                                    asio::redirect_error(asio::use_awaitable, ec));
  boost::beast::flat_buffer buffer;
  if (!ec) {
    http::response_parser<http::string_body> first;
    co_await http::async_read_header(stream, buffer, first,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && first.get().result_int() != 100) {
      // Refused before the body: read the error and stop.
      if (!first.is_done())
        co_await http::async_read(stream, buffer, first,
                                  asio::redirect_error(asio::use_awaitable, ec));
      result.reply.status = first.get().result_int();
      result.reply.body = first.get().body();
      result.reply.request_id = header_value(first.get(), "X-Request-Id");
      result.reply.retry_after = header_value(first.get(), "Retry-After");
      result.complete = !ec;
      st.reader_done = true;
      co_return;
    }
  }
  if (ec) {
    failure = transport_error{st.timed_out ? "no answer within the timeout" : ec.message(), false};
    st.reader_done = true;
    co_return;
  }
  st.last_progress = clock::now();
  asio::co_spawn(c.ioc, send_body(stream, spec, st), asio::detached);

  http::response_parser<http::buffer_body> parser;
  // Not boost::none: Beast 1.74 compares a Content-Length against it as "greater".
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  co_await http::async_read_header(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    failure = transport_error{st.timed_out ? "no answer within the timeout" : ec.message(), true};
    st.reader_done = true;
    c.socket.close(ec);
    co_return;
  }
  result.reply.status = parser.get().result_int();
  result.reply.request_id = header_value(parser.get(), "X-Request-Id");
  result.reply.retry_after = header_value(parser.get(), "Retry-After");
  const bool ok = result.reply.status >= 200 && result.reply.status < 300;
  std::string partial;
  char chunk[64 * 1024];
  bool stopped = false;
  while (!parser.is_done() && !stopped) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer)
      ec = {};
    const std::string_view got(chunk, sizeof chunk - parser.get().body().size);
    st.last_progress = clock::now();
    if (!ok) {
      result.reply.body += got;
    } else {
      partial += got;
      std::size_t start = 0;
      for (std::size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
        if (!on_line(std::string_view(partial).substr(start, nl - start))) {
          stopped = true;
          break;
        }
      }
      partial.erase(0, start);
    }
    if (ec) {
      result.broken = st.timed_out ? "no answer within the timeout" : ec.message();
      break;
    }
  }
  if (ok && !stopped && !partial.empty() && result.broken.empty())
    on_line(partial);
  result.complete = parser.is_done() && !stopped;
  if (stopped && result.broken.empty())
    result.broken = "stopped";
  st.reader_done = true;
  st.watchdog.cancel();
  c.socket.close(ec);  // ends a writer the server stopped reading from
}

}  // namespace

std::expected<upload_result, transport_error> bulk_upload(
    const http_client& client, const upload_spec& spec,
    const std::function<bool(std::string_view)>& on_line) {
  connection c;
  if (auto opened = open_connection(c, client.url(), client.timeout()); !opened)
    return std::unexpected(opened.error());
  exchange_state st(c.ioc);
  upload_result result;
  std::optional<transport_error> failure;
  c.with_stream([&](auto& stream) {
    asio::co_spawn(c.ioc, exchange(c, stream, client, spec, on_line, st, result, failure),
                   asio::detached);
    return 0;
  });
  asio::co_spawn(c.ioc, watch(c, st, client.timeout()), asio::detached);
  c.ioc.run();
  if (failure)
    return std::unexpected(*failure);
  return result;
}

}  // namespace banlist::banctl
