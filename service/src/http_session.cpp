#include "http_session.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <random>
#include <type_traits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#ifdef BANLIST_HTTP_SESSION_TEST_STREAM
#include <boost/beast/_experimental/test/stream.hpp>
#endif

#include "json.hpp"
#include "log.hpp"
#include "response_wire.hpp"
#include "service_state.hpp"
#include "session_exchange.hpp"
#include "session_stream.hpp"
#include "subscription_handoff.hpp"
#include "url.hpp"

namespace banlist::service {
namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr bool is_tls(const beast::tcp_stream*) {
  return false;
}

// Boost 1.74's beast::string_view is boost::string_view.
std::string_view to_std(beast::string_view text) {
  return {text.data(), text.size()};
}
constexpr bool is_tls(const beast::ssl_stream<beast::tcp_stream>*) {
  return true;
}
#ifdef BANLIST_HTTP_SESSION_TEST_STREAM
constexpr bool is_tls(const beast::test::stream*) {
  return false;
}
#endif

// The real streams keep their deadlines, cancel and FIN (session_stream.hpp).
static_assert(socket_layer<beast::lowest_layer_type<beast::tcp_stream>>);
static_assert(socket_layer<beast::lowest_layer_type<beast::ssl_stream<beast::tcp_stream>>>);

// Subscriptions (WebSocket, SSE) run on sockets; on the HTTP fuzzer's test
// stream the connection simply ends where one would start.
template <class Stream>
constexpr bool serves_subscriptions = std::is_same_v<Stream, beast::tcp_stream> ||
                                      std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>;

// At most this many bytes of a response wait unsent in the kernel. Linux
// reports a socket writable again only once half of what it has queued
// has drained; with an autotuned send buffer of up to 4 MiB in front of a
// slow reader, that can be megabytes, and the progress deadline below
// would measure the buffer, not the reader. With the unsent part capped,
// the socket is writable again after ~64 KiB have gone out: a reader is
// cut only when it takes less than that in one request deadline (10 s by
// default). A fast reader is unaffected: the window in flight is not
// counted.
constexpr int kUnsentLimit = 128 * 1024;

// A response body up to this size is copied behind the head so one send
// takes one buffer; a larger one is sent from where it is, gathered with the
// head: copying a 600 KB batch answer cost more than the gather saves.
constexpr std::size_t kCopyBodyUpTo = 16 * 1024;

// Parses what `buffer` already holds into `parser`, up to the end of the
// header (`through_body` false) or of the message. Beast's asynchronous
// reads complete through the scheduler even when the buffer holds the
// whole request, and with several I/O threads each such hand-off can wake
// a sleeping thread: a keep-alive GET costs one real read this way instead
// of three trips through the queue. Returns whether it got that far; an
// error other than "need more" is left in `ec` (and returns true).
template <class Parser>
bool parse_buffered(Parser& parser, beast::flat_buffer& buffer, bool through_body,
                    beast::error_code& ec) {
  const auto reached = [&] { return through_body ? parser.is_done() : parser.is_header_done(); };
  while (!reached() && buffer.size() > 0) {
    buffer.consume(parser.put(buffer.data(), ec));
    if (ec == beast::http::error::need_more) {
      ec = {};
      return false;
    }
    if (ec)
      return true;
  }
  return reached();
}

// Writes `res` as the socket accepts it, giving every piece `timeout` to go
// out: a deadline on progress, not on the whole response. A 180 MB
// snapshot takes as long as the partner's link needs, and a client that
// stops reading is still cut `timeout` after the last byte it took.
template <class Stream, class Body>
asio::awaitable<void> write_with_progress_deadline(Stream& stream, beast::http::response<Body>& res,
                                                   std::chrono::milliseconds timeout,
                                                   beast::error_code& ec) {
  beast::http::response_serializer<Body> serializer{res};
  while (!ec && !serializer.is_done()) {
    expire_after(stream, timeout);
    co_await beast::http::async_write_some(stream, serializer,
                                           asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace

std::string request_id_for(std::string_view given) {
  bool ok = !given.empty() && given.size() <= 128;
  for (char c : given) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (ok)
    return std::string(given);
  // 64 random bits as 16 hex digits: a request id only has to tell one
  // request's log lines and audit entry from others' (a billion of them
  // are all distinct with probability ~0.97), and every audit entry stores
  // it (8 bytes packed; docs/decisions.md).
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  std::uint64_t word = random();
  for (int i = 0; i < 16; ++i, word >>= 4)
    id[i] = kHex[word & 0xf];
  return id;
}

template <class Stream>
http_session<Stream>::http_session(Stream stream, service_state& state, std::string client_address)
    : stream_(std::move(stream)),
      state_(state),
      client_address_(std::move(client_address)),
      watchdog_(stream_.get_executor(), state.config().idle_timeout) {}

template <class Stream>
http_session<Stream>::~http_session() {
  if (registry_id_ != 0)
    state_.sessions().remove(registry_id_);
}

template <class Stream>
void http_session<Stream>::start() {
  registry_id_ = state_.sessions().add(this->weak_from_this());
  asio::co_spawn(
      stream_.get_executor(), [self = this->shared_from_this()]() { return self->run(); },
      asio::detached);
}

template <class Stream>
void http_session<Stream>::close_when_idle() {
  asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
    self->close_requested_ = true;
    // Only a connection waiting for its next request is cut; one in the
    // middle of a request finishes it and closes after the response.
    if (self->idle_) {
      cancel_pending(self->stream_);
    }
  });
}

template <class Stream>
void http_session<Stream>::read_expired() {
  cancel_pending(stream_);  // the read ends with operation_aborted; the session closes
}

template <class Stream>
asio::awaitable<void> http_session<Stream>::run() {
  const auto& config = state_.config();
  beast::error_code ec;
  asio::co_spawn(stream_.get_executor(),
                 watchdog_.run([self = this->shared_from_this()] { self->read_expired(); }),
                 asio::detached);
  struct stop_on_exit {
    read_watchdog& watchdog;
    ~stop_on_exit() { watchdog.stop(); }  // it holds a reference to us until then
  } stop_watchdog{watchdog_};
  if constexpr (is_tls(static_cast<Stream*>(nullptr))) {
    expire_after(stream_, config.read_timeout);
    co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      co_return;
  }
  if constexpr (serves_subscriptions<Stream>) {
    beast::error_code ignored;  // an older kernel keeps its default
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.set_option(
        asio::detail::socket_option::integer<IPPROTO_TCP, TCP_NOTSENT_LOWAT>(kUnsentLimit),
        ignored);
    // For send_now and write_wire; Asio's asynchronous calls do not mind.
    socket.non_blocking(true, ignored);
  }
  for (bool first = true;; first = false) {
    if (!co_await read_request(first))
      break;
    if (streamed_) {
      idle_ = false;
      const bool again =
          co_await serve_streamed(request_id_for(to_std(parser_->get()["X-Request-Id"])));
      idle_ = true;
      if (!again || close_requested_ || state_.shutting_down())
        break;
      continue;
    }
    http_request req = parser_->release();
    idle_ = false;
    const auto started = std::chrono::steady_clock::now();
    const std::string request_id = request_id_for(to_std(req["X-Request-Id"]));
    std::string route_label = "unmatched";
    file_reply file;
    // (Not a conditional expression: g++ 12 mishandles co_await in one.)
    http_response res;
    if (auto now = respond_now(req, route_label, request_id, started))
      res = std::move(*now);
    else
      res = co_await respond(req, route_label, request_id, nullptr, &file);
    if (auto handoff = read_handoff(res)) {
      // GET /v1/stream or /v1/events: the stream leaves this session.
      state_.metrics().record(
          std::string(req.method_string()), route_label,
          handoff->kind == subscription_handoff::transport::websocket ? 101 : 200,
          std::chrono::steady_clock::now() - started);
      if constexpr (serves_subscriptions<Stream>) {
        start_subscription(std::move(stream_), state_, std::move(req), std::move(*handoff),
                           request_id);
      }
      co_return;
    }
    res.set("X-Request-Id", request_id);
    const bool keep_alive = req.keep_alive() && !close_requested_ && !state_.shutting_down();
    const unsigned status = res.result_int();
    if (status >= 500 && route_label != "/readyz") {  // readiness 503s are routine
      log_line(log_level::warning, std::string(req.method_string()) + " " + route_label + " -> " +
                                       std::to_string(status) + " request_id=" + request_id);
    }
    if (sends_at_once(res, file)) {
      if (!send_now(res, keep_alive))
        co_await finish_send();
    } else {
      co_await send(std::move(res), keep_alive, std::move(file));
    }
    state_.metrics().record(std::string(req.method_string()), route_label, status,
                            std::chrono::steady_clock::now() - started);
    idle_ = true;
    if (!keep_alive)
      break;
  }
  co_await close();
}

template <class Stream>
asio::awaitable<bool> http_session<Stream>::read_request(bool first) {
  namespace http = beast::http;
  const auto& config = state_.config();
  beast::error_code ec;
  // Shutdown asked this connection to close. A request already in the
  // socket was sent before the close, maybe while the previous response was
  // still being written (close_when_idle found the session busy then): it
  // is answered, and the connection closes after it.
  if (close_requested_ && buffer_.size() == 0 && !bytes_waiting(stream_))
    co_return false;
  // Wait for the first byte with the idle deadline, then give the whole
  // request the read deadline.
  if (buffer_.size() == 0) {
    clear_expiry(stream_);  // a deadline Beast kept from the last write must not cut this read
    watchdog_.watch(first ? config.read_timeout : config.idle_timeout);
    std::size_t n = co_await async_read_some_unguarded(
        stream_, buffer_.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
    watchdog_.unwatch();
    if (ec == asio::error::operation_aborted && close_requested_ && bytes_waiting(stream_)) {
      // Shutdown cut this idle read, but a request had already reached the
      // socket: it was sent before the shutdown began, so it is answered
      // (then the connection closes) instead of being dropped unread.
      ec = {};
      n = co_await stream_.async_read_some(buffer_.prepare(4096),
                                           asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec)
      co_return false;
    buffer_.commit(n);
  }
  idle_ = false;
  // The rest of the request, if it is not all here yet, within the read
  // deadline from now.
  const auto watch_rest = [&] {
    clear_expiry(stream_);
    watchdog_.watch(config.read_timeout);
  };
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(config.header_limit));
  // Beast checks Content-Length against the limit while parsing the header,
  // before we know the route: start with the largest limit and narrow it
  // once the header says which route this is.
  // Streamed-body routes (POST /v1/bans/import) have no body limit, so no
  // limit while the header is parsed; the checks below apply it per route.
  // (Not boost::none: Beast 1.74 compares Content-Length > none as true.)
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  if (!parse_buffered(*parser_, buffer_, false, ec)) {
    watch_rest();
    co_await http::async_read_header(stream_, buffer_, *parser_,
                                     asio::redirect_error(asio::use_awaitable, ec));
  }
  streamed_ = false;
  if (!ec) {
    const auto& header = parser_->get();
    if (state_.routes().streams_body(header.method(), split_target(to_std(header.target())).path)) {
      streamed_ = true;  // the handler reads the body (serve_streamed)
      watchdog_.unwatch();
      co_return true;
    }
    // The batch check is the one route whose body may exceed the default.
    const bool batch = header.method() == http::verb::post &&
                       split_target(to_std(header.target())).path == "/v1/check";
    const std::size_t limit = batch ? config.batch_body_limit : config.body_limit;
    if (parser_->content_length() && *parser_->content_length() > limit) {
      ec = http::error::body_limit;
    } else {
      parser_->body_limit(limit);  // enforced as chunked bodies arrive
    }
  }
  if (!ec && !parse_buffered(*parser_, buffer_, true, ec)) {
    if (!watchdog_.watching())
      watch_rest();
    co_await http::async_read(stream_, buffer_, *parser_,
                              asio::redirect_error(asio::use_awaitable, ec));
  }
  watchdog_.unwatch();
  if (!ec)
    co_return true;
  const unsigned version = 11;
  if (ec == http::error::header_limit) {
    co_await send_error(version, http::status::request_header_fields_too_large, "header_too_large",
                        "request header exceeds " + std::to_string(config.header_limit) + " bytes");
  } else if (ec == http::error::body_limit) {
    co_await send_error(version, http::status::payload_too_large, "body_too_large",
                        "request body exceeds the limit for this route");
  } else if (&ec.category() == &http::make_error_code(http::error::bad_target).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    co_await send_error(version, http::status::bad_request, "bad_request",
                        "malformed HTTP request");
  }
  // Timeouts, resets and closed connections end the session silently.
  co_return false;
}

namespace {
// The answer for a key that may not use a route needing `need`: 403 for
// the wrong role, 429 when its request limit is reached (this takes one of
// its requests), nullopt when the request may go on.
std::optional<http_response> refuse_key(const request_context& ctx, const api_key& key, role need) {
  namespace http = beast::http;
  if (!role_allows(key.key_role, need)) {
    return error_response(ctx, http::status::forbidden, "forbidden",
                          "this route needs the " + std::string(role_name(need)) +
                              " role; the key has " + std::string(role_name(key.key_role)));
  }
  // A key issued with a limit is limited on every route it may use,
  // counted per request however the requests arrive (one connection or
  // many, keep-alive or pipelined).
  if (key.rate_limit) {
    if (auto wait = ctx.state.key_limits().take(key.id, *key.rate_limit)) {
      auto res = error_response(ctx, http::status::too_many_requests, "rate_limited",
                                "this key's request limit is reached; retry after the "
                                "Retry-After seconds");
      res.set(http::field::retry_after, std::to_string(wait->count()));
      return res;
    }
  }
  return std::nullopt;
}
}  // namespace

template <class Stream>
std::optional<http_response> http_session<Stream>::respond_now(
    const http_request& req, std::string& route_label, const std::string& request_id,
    std::chrono::steady_clock::time_point now) {
  const auto [path, query_text] = split_target(to_std(req.target()));
  // Cheap refusals first: most requests have no immediate answer.
  auto match = state_.routes().match(req.method(), path);
  if (!match || !match->matched->immediate)
    return std::nullopt;
  auto query = query_params::parse(query_text);
  if (!query)
    return std::nullopt;
  const route& r = *match->matched;
  const api_key* key = nullptr;
  if (r.required) {
    // Only a key this connection has shown before (no store lookup).
    key = state_.keys().recall(auth_memo_, to_std(req[beast::http::field::authorization]), now);
    if (!key || !role_allows(key->key_role, *r.required))
      return std::nullopt;
  }
  request_context ctx{
      req,        state_,          path,         std::move(*query), std::move(match->params),
      request_id, client_address_, std::nullopt, nullptr,           nullptr};
  auto answer = r.immediate(ctx);
  if (!answer)
    return std::nullopt;
  route_label = r.pattern;
  if (key) {
    if (auto refused = refuse_key(ctx, *key, *r.required))
      return refused;
  }
  return answer;
}

template <class Stream>
asio::awaitable<http_response> http_session<Stream>::respond(const http_request& req,
                                                             std::string& route_label,
                                                             const std::string& request_id,
                                                             streamed_exchange* exchange,
                                                             file_reply* file) {
  namespace http = beast::http;
  const auto [path, query_text] = split_target(to_std(req.target()));
  auto query = query_params::parse(query_text);
  request_context ctx{req,
                      state_,
                      path,
                      query ? std::move(*query) : query_params{},
                      {},
                      request_id,
                      client_address_,
                      std::nullopt,
                      exchange,
                      file};
  if (!query) {
    co_return error_response(ctx, http::status::bad_request, "invalid_query",
                             "malformed query string");
  }
  auto match = state_.routes().match(req.method(), path);
  if (!match) {
    if (match.error() == route_miss::method_not_allowed) {
      auto res = error_response(ctx, http::status::method_not_allowed, "method_not_allowed",
                                "this path does not accept " + std::string(req.method_string()));
      res.set(http::field::allow, state_.routes().allowed_methods(path));
      co_return res;
    }
    co_return error_response(ctx, http::status::not_found, "not_found", "no such route");
  }
  route_label = match->matched->pattern;
  ctx.path_params = std::move(match->params);
  if (const auto& need = match->matched->required) {
    const std::string_view authorization = to_std(req[http::field::authorization]);
    std::expected<api_key, auth_failure> key;
    if (const api_key* remembered =
            state_.keys().recall(auth_memo_, authorization, std::chrono::steady_clock::now())) {
      key = *remembered;
    } else {
      key = co_await state_.keys().authenticate(state_.current_store().get(), authorization,
                                                &auth_memo_);
    }
    if (!key) {
      auto res = error_response(ctx, key.error().status, key.error().code, key.error().message);
      if (key.error().status == http::status::unauthorized) {
        res.set(http::field::www_authenticate, "Bearer");
      } else {
        res.set(http::field::retry_after, "1");
      }
      co_return res;
    }
    if (auto refused = refuse_key(ctx, *key, *need))
      co_return std::move(*refused);
    ctx.caller = std::move(*key);
  }
  try {
    co_return co_await match->matched->handler(ctx);
  } catch (const std::exception& e) {
    // Handlers return errors as values; this is the last line for bugs and
    // allocation failure, so one request fails instead of the process.
    log_line(log_level::error,
             "handler " + route_label + " threw: " + e.what() + " request_id=" + request_id);
  }
  co_return error_response(ctx, http::status::internal_server_error, "internal",
                           "internal error; see the server log with the request id");
}

template <class Stream>
asio::awaitable<bool> http_session<Stream>::serve_streamed(const std::string& request_id) {
  // Bytes read and dropped after a handler answered without reading the
  // whole body, so the client sees the answer rather than a reset.
  constexpr std::size_t kDrainLimit = 8 * 1024 * 1024;
  const auto started = std::chrono::steady_clock::now();
  http_request req;
  req.base() = parser_->get().base();
  session_exchange<Stream> exchange(stream_, buffer_, std::move(*parser_),
                                    state_.config().read_timeout, request_id);
  parser_.reset();
  std::string route_label = "unmatched";
  http_response res = co_await respond(req, route_label, request_id, &exchange);
  unsigned status = 0;
  bool reusable = false;
  if (exchange.response_started()) {
    co_await exchange.end_response();
    status = exchange.status();
    reusable = exchange.keep_alive() && exchange.body_done() && !exchange.failed();
  } else {
    bool body_done = exchange.body_done();
    if (!body_done && !exchange.expects_continue_unsent())
      body_done = co_await exchange.drain(kDrainLimit);
    res.set("X-Request-Id", request_id);
    reusable = body_done && req.keep_alive() && !close_requested_ && !state_.shutting_down();
    status = res.result_int();
    co_await send(std::move(res), reusable);
  }
  if (status >= 500) {
    log_line(log_level::warning, std::string(req.method_string()) + " " + route_label + " -> " +
                                     std::to_string(status) + " request_id=" + request_id);
  }
  state_.metrics().record(std::string(req.method_string()), route_label, status,
                          std::chrono::steady_clock::now() - started);
  co_return reusable && !close_requested_;
}

namespace {
// The headers every response gets from the session.
void finish_head(http_response& res, bool keep_alive) {
  res.keep_alive(keep_alive);
  res.set(beast::http::field::server, "banlistd");
}
}  // namespace

template <class Stream>
asio::awaitable<void> http_session<Stream>::send(http_response res, bool keep_alive,
                                                 file_reply file) {
  beast::error_code ec;
  const auto timeout = state_.config().read_timeout;
  if (file && file->is_open()) {
    finish_head(res, keep_alive);
    // The same header, the file as the body (Content-Length is its size).
    beast::http::response<beast::http::file_body> from_file(std::move(res.base()));
    from_file.body() = std::move(*file);
    from_file.prepare_payload();
    co_await write_with_progress_deadline(stream_, from_file, timeout, ec);
  } else if (sends_at_once(res, file)) {
    if (!send_now(res, keep_alive))
      co_await finish_send();
    co_return;
  } else if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    finish_head(res, keep_alive);
    res.prepare_payload();
    wire_.clear();
    append_head(res, wire_);
    co_await write_wire(res.body(), timeout, ec);
  } else {
    finish_head(res, keep_alive);
    res.prepare_payload();
    co_await write_with_progress_deadline(stream_, res, timeout, ec);
  }
  if (ec)
    close_requested_ = true;
}

// A write that completes at once still costs a trip through the scheduler
// (and a coroutine frame) when made asynchronously; between requests the
// socket's send buffer is empty, so a small response nearly always goes
// out in this one non-blocking write.
template <class Stream>
bool http_session<Stream>::sends_at_once(const http_response& res,
                                         const file_reply& file) const noexcept {
  return std::is_same_v<Stream, beast::tcp_stream> && !(file && file->is_open()) &&
         res.body().size() <= kCopyBodyUpTo;
}

template <class Stream>
bool http_session<Stream>::send_now(http_response& res, bool keep_alive) {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    finish_head(res, keep_alive);
    res.prepare_payload();
    wire_.clear();
    append_wire(res, wire_);
    beast::error_code ec;
    wire_sent_ = stream_.socket().write_some(asio::buffer(wire_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      wire_sent_ = 0;
    }
    if (ec)
      close_requested_ = true;
    return ec || wire_sent_ == wire_.size();
  } else {
    return false;
  }
}

template <class Stream>
asio::awaitable<void> http_session<Stream>::finish_send() {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    beast::error_code ec;
    const auto timeout = state_.config().read_timeout;
    while (!ec && wire_sent_ < wire_.size()) {
      expire_after(stream_, timeout);
      wire_sent_ += co_await stream_.async_write_some(
          asio::buffer(wire_) + wire_sent_, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec)
      close_requested_ = true;
  }
}

// A large body's response: what the socket takes at once goes out now, as
// in send_now; the rest asynchronously with the progress deadline of
// write_with_progress_deadline.
template <class Stream>
asio::awaitable<void> http_session<Stream>::write_wire(std::string_view body,
                                                       std::chrono::milliseconds timeout,
                                                       beast::error_code& ec) {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    // What is left after `sent` bytes: the rest of wire_, then the body.
    const auto rest = [&](std::size_t sent) {
      const std::size_t head = std::min(sent, wire_.size());
      return std::array<asio::const_buffer, 2>{
          asio::buffer(wire_.data() + head, wire_.size() - head),
          asio::buffer(body.data() + (sent - head), body.size() - (sent - head))};
    };
    const std::size_t total = wire_.size() + body.size();
    std::size_t sent = stream_.socket().write_some(rest(0), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again)
      ec = {};
    while (!ec && sent < total) {
      expire_after(stream_, timeout);
      sent += co_await stream_.async_write_some(rest(sent),
                                                asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

template <class Stream>
asio::awaitable<void> http_session<Stream>::send_error(unsigned version, beast::http::status status,
                                                       std::string_view code,
                                                       std::string_view message) {
  http_response res{status, version};
  res.set(beast::http::field::content_type, "application/json");
  res.set("X-Request-Id", request_id_for({}));
  res.body() = error_body(code, message);
  state_.metrics().record("-", "unparsed", res.result_int(), std::chrono::nanoseconds(0));
  co_await send(std::move(res), false);
}

template <class Stream>
asio::awaitable<void> http_session<Stream>::close() {
  if constexpr (is_tls(static_cast<Stream*>(nullptr))) {
    beast::error_code ec;
    expire_after(stream_, std::chrono::seconds(2));
    co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  shutdown_and_close(stream_);
}

template class http_session<beast::tcp_stream>;
template class http_session<beast::ssl_stream<beast::tcp_stream>>;
#ifdef BANLIST_HTTP_SESSION_TEST_STREAM
template class http_session<beast::test::stream>;
#endif

}  // namespace banlist::service
