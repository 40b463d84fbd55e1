#include "subscription_handoff.hpp"

#include <charconv>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "sse_session.hpp"
#include "websocket_session.hpp"

namespace banlist::service {
namespace beast = boost::beast;

namespace {

// Never written to the network: http_session reads it and drops the response.
constexpr const char* kHandoffField = "X-Banlist-Internal-Handoff";

std::optional<std::uint64_t> parse_u64(std::string_view text, int base) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return v;
}

}  // namespace

// Value: "<ws|sse> <since> <epoch hex or -> <key id>".
http_response handoff_response(const request_context& ctx, const subscription_handoff& handoff) {
  http_response res{http::status::ok, ctx.request.version()};
  char epoch[17] = "-";
  if (handoff.epoch) {
    const auto [end, ec] = std::to_chars(epoch, epoch + 16, *handoff.epoch, 16);
    *end = '\0';
    (void)ec;
  }
  res.set(kHandoffField,
          std::string(handoff.kind == subscription_handoff::transport::websocket ? "ws " : "sse ") +
              std::to_string(handoff.since) + " " + epoch + " " + handoff.key_id);
  return res;
}

std::optional<subscription_handoff> read_handoff(const http_response& res) {
  const auto it = res.find(kHandoffField);
  if (it == res.end())
    return std::nullopt;
  const std::string value(it->value().data(), it->value().size());
  const auto a = value.find(' ');
  const auto b = value.find(' ', a + 1);
  const auto c = value.find(' ', b + 1);
  if (a == std::string::npos || b == std::string::npos || c == std::string::npos)
    return std::nullopt;
  subscription_handoff h;
  h.kind = value.substr(0, a) == "ws" ? subscription_handoff::transport::websocket
                                      : subscription_handoff::transport::sse;
  auto since = parse_u64(std::string_view(value).substr(a + 1, b - a - 1), 10);
  if (!since)
    return std::nullopt;
  h.since = *since;
  const std::string_view epoch = std::string_view(value).substr(b + 1, c - b - 1);
  if (epoch != "-")
    h.epoch = parse_u64(epoch, 16);
  h.key_id = value.substr(c + 1);
  return h;
}

template <class Stream>
void start_subscription(Stream stream, service_state& state, http_request req,
                        subscription_handoff handoff, std::string request_id) {
  if (handoff.kind == subscription_handoff::transport::websocket) {
    std::make_shared<websocket_session<Stream>>(std::move(stream), state, handoff.key_id)
        ->start(std::move(req), handoff.since, handoff.epoch);
  } else {
    std::make_shared<sse_session<Stream>>(std::move(stream), state, handoff.key_id)
        ->start(std::move(request_id), handoff.since, handoff.epoch);
  }
}

template void start_subscription<beast::tcp_stream>(beast::tcp_stream, service_state&, http_request,
                                                    subscription_handoff, std::string);
template void start_subscription<beast::ssl_stream<beast::tcp_stream>>(
    beast::ssl_stream<beast::tcp_stream>, service_state&, http_request, subscription_handoff,
    std::string);

}  // namespace banlist::service
