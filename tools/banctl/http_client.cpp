#include "http_client.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <limits>

#include "connection.hpp"

namespace banlist::banctl {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;

std::string connect_hint(const server_url& url) {
  return " — is banlistd running at " + url.text + "? check --url / BANLIST_URL";
}

std::string header_text(const http::fields& fields, http::field name) {
  const auto it = fields.find(name);
  return it == fields.end() ? std::string() : std::string(it->value());
}

std::string header_text(const http::fields& fields, std::string_view name) {
  const auto it = fields.find(boost::beast::string_view(name.data(), name.size()));
  return it == fields.end() ? std::string() : std::string(it->value());
}

template <class Fields>
void fill_reply(http_reply& reply, unsigned status, const Fields& fields) {
  reply.status = status;
  reply.request_id = header_text(fields, "X-Request-Id");
  reply.retry_after = header_text(fields, http::field::retry_after);
  reply.content_type = header_text(fields, http::field::content_type);
}

http::verb verb_of(std::string_view method) {
  return http::string_to_verb(boost::beast::string_view(method.data(), method.size()));
}

std::string io_message(const boost::system::error_code& ec) {
  if (ec == asio::error::would_block || ec == asio::error::try_again ||
      ec == asio::error::timed_out)
    return "no answer within the timeout (raise --timeout, or check the server)";
  if (ec == http::error::end_of_stream || ec == asio::error::eof)
    return "the server closed the connection";
  return ec.message();
}

}  // namespace

std::string authorization_value(const std::string& key) {
  return key.empty() ? std::string() : "Bearer " + key;
}

std::expected<void, transport_error> open_connection(connection& c, const server_url& url,
                                                     std::chrono::seconds timeout) {
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(c.ioc);
  const auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) {
    return std::unexpected(
        transport_error{"cannot resolve " + url.host + ": " + ec.message() + connect_hint(url)});
  }
  asio::connect(c.socket, endpoints, ec);
  if (ec) {
    return std::unexpected(transport_error{"cannot connect to " + url.host + ":" + url.port + ": " +
                                           ec.message() + connect_hint(url)});
  }
  c.socket.set_option(asio::ip::tcp::no_delay(true), ec);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count());
  ::setsockopt(c.socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(c.socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (url.tls) {
    c.tls_context.set_verify_mode(asio::ssl::verify_peer);
    if (const char* ca = std::getenv("BANLIST_CA_FILE"); ca != nullptr && *ca != '\0') {
      c.tls_context.load_verify_file(ca, ec);
      if (ec)
        return std::unexpected(transport_error{std::string("cannot read BANLIST_CA_FILE ") + ca +
                                               ": " + ec.message()});
    } else {
      c.tls_context.set_default_verify_paths(ec);
    }
    c.tls.emplace(c.socket, c.tls_context);
    c.tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    SSL_set_tlsext_host_name(c.tls->native_handle(), url.host.c_str());
    c.tls->handshake(asio::ssl::stream_base::client, ec);
    if (ec) {
      return std::unexpected(
          transport_error{"TLS handshake with " + url.host + " failed: " + ec.message() +
                          " (for a private CA set BANLIST_CA_FILE to its certificate)"});
    }
  }
  return {};
}

std::expected<http_reply, transport_error> http_client::request(std::string_view method,
                                                                std::string_view target,
                                                                std::string_view body,
                                                                std::string_view content_type) {
  connection c;
  if (auto opened = open_connection(c, url_, timeout_); !opened)
    return std::unexpected(opened.error());
  http::request<http::string_body> req(verb_of(method), url_.prefix + std::string(target), 11);
  req.set(http::field::host, url_.host);
  req.set(http::field::user_agent, "banctl");
  if (!key_.empty())
    req.set(http::field::authorization, authorization_value(key_));
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type,
            content_type.empty() ? std::string("application/json") : std::string(content_type));
    req.body() = std::string(body);
  }
  req.keep_alive(false);
  req.prepare_payload();
  return c.with_stream([&](auto& stream) -> std::expected<http_reply, transport_error> {
    boost::system::error_code ec;
    http::write(stream, req, ec);
    if (ec) {
      return std::unexpected(
          transport_error{"sending the request failed: " + io_message(ec), true});
    }
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256ull * 1024 * 1024);
    http::read(stream, buffer, parser, ec);
    if (ec) {
      return std::unexpected(transport_error{"reading the answer failed: " + io_message(ec), true});
    }
    http_reply reply;
    fill_reply(reply, parser.get().result_int(), parser.get());
    reply.body = std::move(parser.get().body());
    return reply;
  });
}

std::expected<http_reply, transport_error> http_client::download(
    std::string_view target, const std::function<bool(std::string_view)>& on_data) {
  connection c;
  if (auto opened = open_connection(c, url_, timeout_); !opened)
    return std::unexpected(opened.error());
  http::request<http::empty_body> req(http::verb::get, url_.prefix + std::string(target), 11);
  req.set(http::field::host, url_.host);
  req.set(http::field::user_agent, "banctl");
  if (!key_.empty())
    req.set(http::field::authorization, authorization_value(key_));
  req.keep_alive(false);
  return c.with_stream([&](auto& stream) -> std::expected<http_reply, transport_error> {
    boost::system::error_code ec;
    http::write(stream, req, ec);
    if (ec)
      return std::unexpected(transport_error{"sending the request failed: " + io_message(ec)});
    boost::beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    // Not boost::none: Beast 1.74 compares a Content-Length against it as "greater".
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    http::read_header(stream, buffer, parser, ec);
    if (ec)
      return std::unexpected(transport_error{"reading the answer failed: " + io_message(ec)});
    http_reply reply;
    fill_reply(reply, parser.get().result_int(), parser.get());
    const bool ok = reply.status >= 200 && reply.status < 300;
    char chunk[64 * 1024];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      http::read(stream, buffer, parser, ec);
      if (ec == http::error::need_buffer)
        ec = {};
      if (ec) {
        return std::unexpected(transport_error{"the download broke off: " + io_message(ec), true});
      }
      const std::string_view got(chunk, sizeof chunk - parser.get().body().size);
      if (ok) {
        if (!got.empty() && !on_data(got))
          break;
      } else {
        reply.body += got;
      }
    }
    return reply;
  });
}

}  // namespace banlist::banctl
