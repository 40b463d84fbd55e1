#include "raw_ws_subscribers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>
#include <string_view>

namespace banlist::bench {
namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t kReadChunk = 64 * 1024;

std::string base64(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < size; i += 3) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) |
                            (i + 1 < size ? std::uint32_t{data[i + 1]} << 8 : 0) |
                            (i + 2 < size ? std::uint32_t{data[i + 2]} : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < size ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < size ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// The Sec-WebSocket-Accept a server must answer to `key` (RFC 6455 4.2.2).
std::string expected_accept(const std::string& key) {
  const std::string joined = key + std::string(kWebSocketGuid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(joined.data(), joined.size(), digest.data(), &size, EVP_sha1(), nullptr);
  return base64(digest.data(), size);
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// The value of header `name` (case-insensitive name) in a response head.
std::string_view header_value(std::string_view head, std::string_view name) {
  std::size_t line = head.find("\r\n");
  while (line != std::string_view::npos && line + 2 < head.size()) {
    const std::size_t start = line + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string_view text = head.substr(start, end - start);
    const std::size_t colon = text.find(':');
    if (colon == name.size() &&
        std::equal(name.begin(), name.end(), text.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      std::string_view value = text.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
      return value;
    }
    line = end;
  }
  return {};
}

std::uint64_t number_after(std::string_view text, std::size_t pos) {
  std::uint64_t value = 0;
  std::from_chars(text.data() + pos, text.data() + text.size(), value);
  return value;
}

}  // namespace

raw_ws_subscribers::raw_ws_subscribers(std::uint64_t first_seq, std::size_t tracked)
    : first_seq_(first_seq), tracked_(tracked), epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {}

raw_ws_subscribers::~raw_ws_subscribers() {
  for (auto& c : conns_) {
    if (c.fd >= 0)
      ::close(c.fd);
  }
  if (epoll_fd_ >= 0)
    ::close(epoll_fd_);
}

std::string raw_ws_subscribers::connect(std::uint16_t port, std::size_t count, std::uint64_t since,
                                        const std::string& api_key) {
  std::mt19937_64 random(std::random_device{}());
  conns_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    connection& c = conns_.emplace_back();
    c.next = since + 1;
    c.at.assign(tracked_, clock_type::time_point{});
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c.fd < 0 || ::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      return "connect: " + std::string(std::strerror(errno));
    std::array<unsigned char, 16> nonce{};
    for (auto& b : nonce)
      b = static_cast<unsigned char>(random());
    const std::string key = base64(nonce.data(), nonce.size());
    const std::string request = "GET /v1/stream?since=" + std::to_string(since) +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: " +
                                key + "\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer " +
                                api_key + "\r\n\r\n";
    if (!send_all(c.fd, request.data(), request.size()))
      return "handshake send failed";
    std::size_t head_end = std::string::npos;
    char chunk[4096];
    while (head_end == std::string::npos) {
      const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
      if (n <= 0)
        return "handshake: connection closed";
      c.in.append(chunk, static_cast<std::size_t>(n));
      head_end = c.in.find("\r\n\r\n");
      if (c.in.size() > 16 * 1024)
        return "handshake: response head too long";
    }
    const std::string_view head(c.in.data(), head_end + 2);
    if (!head.starts_with("HTTP/1.1 101"))
      return "handshake refused: " + std::string(head.substr(0, head.find("\r\n")));
    if (header_value(head, "Sec-WebSocket-Accept") != expected_accept(key))
      return "handshake: wrong Sec-WebSocket-Accept";
    c.in.erase(0, head_end + 4);  // frames may follow the head in the same read
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev) != 0)
      return "epoll_ctl: " + std::string(std::strerror(errno));
    if (!c.in.empty() && !parse_frames(c, clock_type::now()))
      return "connection ended during the handshake";
  }
  return {};
}

void raw_ws_subscribers::run() {
  std::array<epoll_event, 256> events{};
  while (!stopping_.load(std::memory_order_acquire)) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 50);
    for (int e = 0; e < n; ++e)
      on_readable(conns_[events[static_cast<std::size_t>(e)].data.u64]);
  }
  for (auto& c : conns_) {
    if (c.fd >= 0)
      ::close(c.fd);
    c.fd = -1;
  }
}

void raw_ws_subscribers::on_readable(connection& c) {
  char buffer[kReadChunk];
  while (!c.closed) {
    const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (n <= 0) {
      c.closed = true;
      ++protocol_errors_;  // the server never ends a subscription without a reset
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
      return;
    }
    c.in.append(buffer, static_cast<std::size_t>(n));
    if (!parse_frames(c, clock_type::now())) {
      c.closed = true;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
      return;
    }
    // A short read drained the socket; epoll is level-triggered, so anything
    // arriving after it is reported again. Saves the recv that would only
    // say EAGAIN, one syscall per message.
    if (static_cast<std::size_t>(n) < sizeof buffer)
      return;
  }
}

bool raw_ws_subscribers::parse_frames(connection& c, clock_type::time_point now) {
  std::size_t pos = 0;
  bool open = true;
  while (open && c.in.size() - pos >= 2) {
    const auto b0 = static_cast<unsigned char>(c.in[pos]);
    const auto b1 = static_cast<unsigned char>(c.in[pos + 1]);
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7f;
    if (length == 126) {
      if (c.in.size() - pos < 4)
        break;
      length = (std::uint64_t{static_cast<unsigned char>(c.in[pos + 2])} << 8) |
               static_cast<unsigned char>(c.in[pos + 3]);
      header = 4;
    } else if (length == 127) {
      if (c.in.size() - pos < 10)
        break;
      length = 0;
      for (std::size_t k = 0; k < 8; ++k)
        length = (length << 8) | static_cast<unsigned char>(c.in[pos + 2 + k]);
      header = 10;
    }
    if ((b1 & 0x80) != 0) {  // a server must not mask (RFC 6455 5.1)
      ++protocol_errors_;
      return false;
    }
    if (c.in.size() - pos - header < length)
      break;
    const std::string_view payload(c.in.data() + pos + header, static_cast<std::size_t>(length));
    const bool fin = (b0 & 0x80) != 0;
    switch (b0 & 0x0f) {
      case 0x0:  // continuation
      case 0x1:  // text
        if (fin && c.message.empty()) {
          on_message(c, payload, now);
        } else {
          c.message.append(payload);
          if (fin) {
            on_message(c, c.message, now);
            c.message.clear();
          }
        }
        break;
      case 0x9:
        send_pong(c, payload);
        break;
      case 0xa:
        break;
      case 0x8:  // close: the bench never expects one while it runs
        ++protocol_errors_;
        open = false;
        break;
      default:
        ++protocol_errors_;
        open = false;
        break;
    }
    pos += header + static_cast<std::size_t>(length);
  }
  c.in.erase(0, pos);
  return open;
}

void raw_ws_subscribers::on_message(connection& c, std::string_view text,
                                    clock_type::time_point now) {
  if (!text.starts_with(R"({"type":"changes")")) {
    if (!text.starts_with(R"({"type":"heartbeat")"))
      ++protocol_errors_;  // a reset, or something this bench does not know
    return;
  }
  const std::size_t list = text.find(R"("changes":[)");
  if (list == std::string_view::npos) {
    ++protocol_errors_;
    return;
  }
  constexpr std::string_view kSeq = R"("seq":)";
  for (std::size_t at = text.find(kSeq, list); at != std::string_view::npos;
       at = text.find(kSeq, at + kSeq.size())) {
    const std::uint64_t seq = number_after(text, at + kSeq.size());
    if (seq < c.next) {
      ++c.repeated;
      continue;
    }
    c.skipped += seq - c.next;
    c.next = seq + 1;
    if (seq >= first_seq_ && seq - first_seq_ < tracked_)
      c.at[seq - first_seq_] = now;
  }
}

void raw_ws_subscribers::send_pong(connection& c, std::string_view payload) {
  // Client frames are masked (RFC 6455 5.3); a ping's payload is at most 125 bytes.
  std::string frame;
  frame += static_cast<char>(0x8a);
  frame += static_cast<char>(0x80 | payload.size());
  const std::array<unsigned char, 4> mask{0x12, 0x34, 0x56, 0x78};
  frame.append(reinterpret_cast<const char*>(mask.data()), mask.size());
  for (std::size_t k = 0; k < payload.size(); ++k)
    frame += static_cast<char>(payload[k] ^ static_cast<char>(mask[k % 4]));
  // Non-blocking socket: a pong that does not fit now is dropped; the
  // server's ping timeout is far longer than a bench run.
  (void)::send(c.fd, frame.data(), frame.size(), MSG_NOSIGNAL);
}

std::uint64_t raw_ws_subscribers::missing(std::uint64_t last_seq) const {
  std::uint64_t total = 0;
  for (const auto& c : conns_) {
    total += c.skipped + c.repeated;
    if (c.next <= last_seq)
      total += last_seq + 1 - c.next;  // never arrived
  }
  return total;
}

}  // namespace banlist::bench
