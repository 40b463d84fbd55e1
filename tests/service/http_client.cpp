#include "http_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <stdexcept>

#include <boost/beast/http.hpp>

namespace banlist::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string http_reply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

simdjson::dom::element http_reply::json() const {
  if (!parser_)
    parser_ = std::make_shared<simdjson::dom::parser>();
  simdjson::dom::element root;
  if (parser_->parse(body).get(root))
    throw std::runtime_error("response is not JSON: " + body);
  return root;
}

std::string http_reply::error_code() const {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root))
    return {};
  std::string_view code;
  if (root["error"]["code"].get(code))
    return {};
  return std::string(code);
}

http_client::http_client(std::uint16_t port, bool tls) : port_(port), tls_(tls) {
  ssl_ctx_.set_verify_mode(asio::ssl::verify_none);
}

http_client::~http_client() = default;

void http_client::connect() {
  ssl_.reset();
  socket_ = std::make_unique<asio::ip::tcp::socket>(ioc_);
  socket_->connect({asio::ip::make_address("127.0.0.1"), port_});
  timeval tv{15, 0};
  ::setsockopt(socket_->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket_->native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  buffer_.clear();
  if (tls_) {
    ssl_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(*socket_, ssl_ctx_);
    ssl_->handshake(asio::ssl::stream_base::client);
  }
  connected_ = true;
}

template <class Stream>
http_reply http_client::exchange(Stream& stream, const std::string* raw_bytes,
                                 http::request<http::string_body>* req) {
  if (raw_bytes) {
    asio::write(stream, asio::buffer(*raw_bytes));
  } else {
    http::write(stream, *req);
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.header_limit(64 * 1024);
  beast::error_code ec;
  http::read(stream, buffer_, parser, ec);
  if (ec)
    throw std::runtime_error("reading the response: " + ec.message());
  auto res = parser.release();
  http_reply reply;
  reply.status = res.result_int();
  reply.body = res.body();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(field.value());
  }
  reply.closed = !res.keep_alive();
  if (reply.closed)
    connected_ = false;
  return reply;
}

http_reply http_client::request(http::verb method, const std::string& target,
                                const std::string& bearer, const std::string& body,
                                const std::map<std::string, std::string>& headers) {
  if (!connected_)
    connect();
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!bearer.empty())
    req.set(http::field::authorization, "Bearer " + bearer);
  for (const auto& [name, value] : headers)
    req.set(name, value);
  if (!body.empty() || method == http::verb::post) {
    if (req[http::field::content_type].empty())
      req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  if (ssl_)
    return exchange(*ssl_, nullptr, &req);
  return exchange(*socket_, nullptr, &req);
}

http_reply http_client::raw(const std::string& bytes) {
  if (!connected_)
    connect();
  if (ssl_)
    return exchange(*ssl_, &bytes, nullptr);
  return exchange(*socket_, &bytes, nullptr);
}

}  // namespace banlist::test
