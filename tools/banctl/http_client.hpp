// http_client: banctl's blocking HTTP/1.1 client for banlistd (Boost.Beast
// over plain TCP, or TLS through OpenSSL for https:// URLs, verifying the
// server certificate against the system store or $BANLIST_CA_FILE).
// One connection per call; the key goes in the Authorization header and is
// never printed. Boost stays out of this header so commands compile fast.
//
// Not thread-safe: one owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "server_url.hpp"

namespace banlist::banctl {

struct http_reply {
  unsigned status = 0;
  std::string body;  // empty for a streamed 2xx download
  std::string request_id;
  std::string retry_after;
  std::string content_type;
};

// The connection could not be made or broke: nothing is known about the
// server's answer.
struct transport_error {
  std::string message;
  bool after_send = false;  // the request was (maybe partly) sent: a write's outcome is unknown
};

class http_client {
 public:
  http_client(server_url url, std::string key, std::chrono::seconds timeout)
      : url_(std::move(url)), key_(std::move(key)), timeout_(timeout) {}

  const server_url& url() const noexcept { return url_; }
  const std::string& key() const noexcept { return key_; }
  std::chrono::seconds timeout() const noexcept { return timeout_; }

  // Sends one request (`target` starts with '/'; the URL's prefix is added)
  // and reads the whole answer.
  std::expected<http_reply, transport_error> request(std::string_view method,
                                                     std::string_view target,
                                                     std::string_view body = {},
                                                     std::string_view content_type = {});

  // GET whose 2xx body is handed to `on_data` piece by piece as it arrives
  // (never held whole); `on_data` returns false to stop. A non-2xx answer's
  // body is read whole into the reply.
  std::expected<http_reply, transport_error> download(
      std::string_view target, const std::function<bool(std::string_view)>& on_data);

 private:
  server_url url_;
  std::string key_;
  std::chrono::seconds timeout_;
};

}  // namespace banlist::banctl
