#include "gate_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <set>
#include <sstream>
#include <stdexcept>

namespace banlist::test {

struct gate_proxy::state {
  mutable std::mutex mutex;
  std::vector<proxied_request> log;  // guarded by mutex
  policy answer;                     // guarded by mutex
  bool strip_upgrade = false;        // guarded by mutex
  bool cut_upgraded = false;         // guarded by mutex
  std::uint64_t cuts = 0;            // guarded by mutex
  std::uint16_t upstream_port = 0;   // guarded by mutex
  std::set<int> open_fds;            // guarded by mutex
  std::vector<std::thread> workers;  // guarded by mutex
  std::atomic<bool> stopping{false};
  int listen_fd = -1;

  void track(int fd) {
    std::lock_guard lock(mutex);
    open_fds.insert(fd);
  }
  void close_fd(int fd) {
    {
      std::lock_guard lock(mutex);
      open_fds.erase(fd);
    }
    ::close(fd);
  }
};

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Copies bytes from `from` to `to` until either side ends, then shuts both.
void pump(int from, int to) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(from, buffer, sizeof buffer, 0);
    if (n <= 0 || !send_all(to, buffer, static_cast<std::size_t>(n)))
      break;
  }
  ::shutdown(from, SHUT_RDWR);
  ::shutdown(to, SHUT_RDWR);
}

// Forwards the response head from `from` to `to` (the 101 of an upgrade),
// nothing after it, then shuts both sides. Returns whether a head was seen.
bool pump_head_then_cut(int from, int to) {
  std::string seen;
  char buffer[4096];
  bool head = false;
  while (!head) {
    const ssize_t n = ::recv(from, buffer, sizeof buffer, 0);
    if (n <= 0)
      break;
    const std::size_t before = seen.size();
    seen.append(buffer, static_cast<std::size_t>(n));
    const std::size_t end = seen.find("\r\n\r\n");
    std::size_t upto = seen.size();
    if (end != std::string::npos) {
      upto = end + 4;
      head = true;
    }
    if (upto > before && !send_all(to, seen.data() + before, upto - before))
      break;
  }
  ::shutdown(from, SHUT_RDWR);
  ::shutdown(to, SHUT_RDWR);
  return head;
}

int connect_local(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void serve(const std::shared_ptr<gate_proxy::state>& st, int client_fd);

}  // namespace

std::string http_response_bytes(unsigned status, const std::string& reason,
                                const std::string& content_type, const std::string& body,
                                const std::string& extra) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  out += "Content-Type: " + content_type + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Connection: close\r\n" + extra + "\r\n";
  out += body;
  return out;
}

gate_proxy::gate_proxy(std::uint16_t upstream_port) : state_(std::make_shared<state>()) {
  state_->upstream_port = upstream_port;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("gate_proxy: socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("gate_proxy: bind/listen");
  }
  port_ = ntohs(addr.sin_port);
  state_->listen_fd = fd;
  acceptor_thread_ = std::thread([st = state_] {
    for (;;) {
      const int client = ::accept(st->listen_fd, nullptr, nullptr);
      if (client < 0 || st->stopping) {
        if (client >= 0)
          ::close(client);
        return;
      }
      st->track(client);
      std::lock_guard lock(st->mutex);
      st->workers.emplace_back([st, client] { serve(st, client); });
    }
  });
}

gate_proxy::~gate_proxy() {
  state_->stopping = true;
  ::shutdown(state_->listen_fd, SHUT_RDWR);
  acceptor_thread_.join();
  ::close(state_->listen_fd);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(state_->mutex);
    for (int fd : state_->open_fds)
      ::shutdown(fd, SHUT_RDWR);
    workers.swap(state_->workers);
  }
  for (auto& w : workers)
    w.join();
}

void gate_proxy::set_upstream_port(std::uint16_t port) {
  std::lock_guard lock(state_->mutex);
  state_->upstream_port = port;
}

void gate_proxy::set_strip_upgrade(bool strip) {
  std::lock_guard lock(state_->mutex);
  state_->strip_upgrade = strip;
}

void gate_proxy::set_cut_upgraded(bool cut) {
  std::lock_guard lock(state_->mutex);
  state_->cut_upgraded = cut;
}

std::uint64_t gate_proxy::cut_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->cuts;
}

void gate_proxy::set_policy(policy p) {
  std::lock_guard lock(state_->mutex);
  state_->answer = std::move(p);
}

std::vector<proxied_request> gate_proxy::log() const {
  std::lock_guard lock(state_->mutex);
  return state_->log;
}

std::vector<proxied_request> gate_proxy::log_of(const std::string& prefix) const {
  std::vector<proxied_request> out;
  for (auto& r : log())
    if (r.target.starts_with(prefix))
      out.push_back(r);
  return out;
}

namespace {

void serve(const std::shared_ptr<gate_proxy::state>& st, int client_fd) {
  // Read the request head.
  std::string head;
  char buffer[4096];
  std::size_t end = std::string::npos;
  while (end == std::string::npos && head.size() < 65536) {
    const ssize_t n = ::recv(client_fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      st->close_fd(client_fd);
      return;
    }
    head.append(buffer, static_cast<std::size_t>(n));
    end = head.find("\r\n\r\n");
  }
  if (end == std::string::npos) {
    st->close_fd(client_fd);
    return;
  }
  const std::string rest = head.substr(end + 4);
  head.resize(end + 2);  // keep the last header's CRLF

  proxied_request request;
  request.at = std::chrono::steady_clock::now();
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  {
    std::istringstream first(line);
    first >> request.method >> request.target;
  }
  std::string forwarded = line + "\n";
  bool strip = false;
  bool cut = false;
  gate_proxy::policy answer;
  std::uint16_t upstream_port = 0;
  {
    std::lock_guard lock(st->mutex);
    strip = st->strip_upgrade;
    cut = st->cut_upgraded;
    answer = st->answer;
    upstream_port = st->upstream_port;
  }
  std::vector<std::string> headers;
  while (std::getline(lines, line)) {
    const std::string l = lower(line);
    if (l.starts_with("upgrade:") && l.find("websocket") != std::string::npos)
      request.upgrade = true;
    const bool hop = l.starts_with("upgrade:") || l.starts_with("connection:") ||
                     l.starts_with("sec-websocket-");
    if (!(strip && hop))
      forwarded += line + "\n";
  }
  forwarded += "\r\n";

  std::optional<std::string> canned;
  if (answer)
    canned = answer(request);
  request.answered_by_policy = canned.has_value();
  {
    std::lock_guard lock(st->mutex);
    st->log.push_back(request);
  }
  if (canned) {
    send_all(client_fd, canned->data(), canned->size());
    ::shutdown(client_fd, SHUT_WR);
    while (::recv(client_fd, buffer, sizeof buffer, 0) > 0) {
    }
    st->close_fd(client_fd);
    return;
  }
  const int upstream = connect_local(upstream_port);
  if (upstream < 0) {
    const std::string bad = http_response_bytes(502, "Bad Gateway", "text/plain", "no upstream");
    send_all(client_fd, bad.data(), bad.size());
    st->close_fd(client_fd);
    return;
  }
  st->track(upstream);
  if (st->stopping || !send_all(upstream, forwarded.data(), forwarded.size()) ||
      !send_all(upstream, rest.data(), rest.size())) {
    st->close_fd(upstream);
    st->close_fd(client_fd);
    return;
  }
  if (cut && request.upgrade && !strip) {
    const bool head = pump_head_then_cut(upstream, client_fd);
    {
      std::lock_guard lock(st->mutex);
      st->cuts += head ? 1 : 0;
    }
    st->close_fd(upstream);
    st->close_fd(client_fd);
    return;
  }
  std::thread back([client_fd, upstream] { pump(upstream, client_fd); });
  pump(client_fd, upstream);
  back.join();
  st->close_fd(upstream);
  st->close_fd(client_fd);
}

}  // namespace

}  // namespace banlist::test
