#include "store/redis_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace banlist::service {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxUnixPath = sizeof(sockaddr_un{}.sun_path) - 1;

std::expected<std::string, std::string> find_binary(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0)
      return name;
    return std::unexpected("redis-server binary '" + name + "' is not executable");
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty())
      continue;
    const auto candidate = (fs::path(dir) / name).string();
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::unexpected("'" + name +
                         "' not found on PATH; install Redis 7 (apt-get install redis-server) "
                         "or pass --redis to use an existing server");
}

std::expected<std::uint16_t, std::string> pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return std::unexpected(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    return std::unexpected("picking a free port: " + error);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Quotes a value for redis.conf.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string log_tail(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (!line.empty())
      last = line;
  }
  return last.empty() ? std::string() : " (log: " + last + ")";
}

// Sends PING and returns true on +PONG. Blocking, with short timeouts.
bool answers_ping(const redis_endpoint& ep) {
  int fd = -1;
  if (!ep.unix_path.empty()) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, ep.unix_path.c_str(), ep.unix_path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return false;
    }
  } else {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(ep.port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return false;
    }
  }
  timeval timeout{0, 200 * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  static constexpr char kPing[] = "*1\r\n$4\r\nPING\r\n";
  bool ok = ::send(fd, kPing, sizeof kPing - 1, MSG_NOSIGNAL) == sizeof kPing - 1;
  std::array<char, 64> reply{};
  if (ok) {
    const auto n = ::recv(fd, reply.data(), reply.size(), 0);
    // While loading the AOF Redis answers -LOADING: not ready yet.
    ok = n >= 7 && std::string_view(reply.data(), 7) == "+PONG\r\n";
  }
  ::close(fd);
  return ok;
}

}  // namespace

redis_process::redis_process(redis_process&& other) noexcept
    : options_(std::move(other.options_)),
      binary_path_(std::move(other.binary_path_)),
      config_path_(std::move(other.config_path_)),
      endpoint_(std::move(other.endpoint_)),
      pid_(std::exchange(other.pid_, -1)) {}

redis_process& redis_process::operator=(redis_process&& other) noexcept {
  if (this != &other) {
    stop();
    options_ = std::move(other.options_);
    binary_path_ = std::move(other.binary_path_);
    config_path_ = std::move(other.config_path_);
    endpoint_ = std::move(other.endpoint_);
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

redis_process::~redis_process() {
  stop();
}

std::string redis_process::url() const {
  if (!endpoint_.unix_path.empty())
    return "unix://" + endpoint_.unix_path;
  return "redis://127.0.0.1:" + std::to_string(endpoint_.port);
}

std::expected<redis_process, std::string> redis_process::start(redis_process_options options) {
  if (options.data_dir.empty())
    return std::unexpected("redis_process: data dir not set");
  if (options.appendfsync != "always" && options.appendfsync != "everysec" &&
      options.appendfsync != "no") {
    return std::unexpected("appendfsync must be always, everysec or no");
  }
  redis_process p;
  auto binary = find_binary(options.binary);
  if (!binary)
    return std::unexpected(binary.error());
  p.binary_path_ = *binary;

  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) {
    return std::unexpected("cannot create data dir " + options.data_dir.string() + ": " +
                           ec.message());
  }
  options.data_dir = fs::absolute(options.data_dir, ec).lexically_normal();

  p.endpoint_.host.clear();
  if (options.unix_socket) {
    auto socket_path = (options.data_dir / "redis.sock").string();
    if (socket_path.size() > kMaxUnixPath) {
      // sun_path holds 107 bytes: a deep data dir gets a short socket name
      // in /tmp, derived from the data dir so restarts find it again.
      socket_path = "/tmp/banlist-redis-" +
                    std::to_string(std::hash<std::string>{}(options.data_dir.string())) + ".sock";
    }
    p.endpoint_.unix_path = socket_path;
  } else {
    std::uint16_t port = options.port;
    if (port == 0) {
      auto free_port = pick_free_port();
      if (!free_port)
        return std::unexpected(free_port.error());
      port = *free_port;
    }
    p.endpoint_.host = "127.0.0.1";
    p.endpoint_.port = port;
  }

  p.config_path_ = options.data_dir / "redis.conf";
  {
    std::ofstream conf(p.config_path_, std::ios::trunc);
    conf << "# Written by banlist's redis_process; rewritten at every start.\n"
         << "daemonize no\n"
         << "dir " << quoted(options.data_dir.string()) << "\n"
         << "logfile " << quoted((options.data_dir / "redis.log").string()) << "\n"
         << "bind 127.0.0.1\n"
         << "protected-mode yes\n"
         << "port " << (options.unix_socket ? 0 : p.endpoint_.port) << "\n";
    if (options.unix_socket) {
      conf << "unixsocket " << quoted(p.endpoint_.unix_path) << "\n"
           << "unixsocketperm 700\n";
    }
    conf << "appendonly yes\n"
         << "appendfsync " << options.appendfsync << "\n"
         << "aof-load-truncated yes\n"
         << "save \"\"\n"
         // The banned set's and the records' 65,536 bucket hashes hold ~150
         // entries each at 10M bans; above 128 entries (the default) or a
         // value above 64 bytes (a packed record is ~120) Redis turns a
         // listpack into a hashtable: more memory, slower to read whole.
         // 1 KiB covers all but records with notes near their 2,000 limit.
         << "hash-max-listpack-entries 512\n"
         << "hash-max-listpack-value 1024\n"
         // The change log's and the audit's entries are ~41 and ~75 bytes:
         // 4 KiB stream nodes hold ~80 log entries and end up in larger
         // allocations than they fill; 8 KiB ones of up to 500 entries save
         // ~13 B per ban at 1M bans (docs/benchmarks.md, session 14).
         << "stream-node-max-bytes 8192\n"
         << "stream-node-max-entries 500\n";
    for (const auto& line : options.extra_config)
      conf << line << "\n";
    if (!conf)
      return std::unexpected("cannot write " + p.config_path_.string());
  }
  p.options_ = std::move(options);
  if (auto spawned = p.spawn(); !spawned)
    return std::unexpected(spawned.error());
  if (auto ready = p.wait_ready(); !ready) {
    p.kill9();
    return std::unexpected(ready.error());
  }
  return p;
}

std::expected<void, std::string> redis_process::spawn() {
  const std::string config = config_path_.string();
  // argv is built before fork: only async-signal-safe calls in the child.
  std::array<char*, 3> argv{const_cast<char*>(binary_path_.c_str()),
                            const_cast<char*>(config.c_str()), nullptr};
  const pid_t parent = ::getpid();
  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid < 0) {
    if (devnull >= 0)
      ::close(devnull);
    return std::unexpected(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent)
      ::_exit(1);  // the parent died before prctl
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setpgid(0, 0);  // a terminal's Ctrl-C goes to banlistd, which stops us in order
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDOUT_FILENO);
    }
    ::close_range(3, ~0U, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (devnull >= 0)
    ::close(devnull);
  pid_ = pid;
  return {};
}

std::expected<void, std::string> redis_process::wait_ready() {
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return std::unexpected("redis-server exited at start (status " + std::to_string(status) +
                             ")" + log_tail(options_.data_dir / "redis.log"));
    }
    if (answers_ping(endpoint_))
      return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::unexpected("redis-server did not answer PING in time" +
                         log_tail(options_.data_dir / "redis.log"));
}

void redis_process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGTERM);
  ::kill(pid_, SIGCONT);  // a stopped process handles SIGTERM only once continued
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill9();
}

void redis_process::kill9() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::expected<void, std::string> redis_process::restart() {
  stop();
  if (auto spawned = spawn(); !spawned)
    return spawned;
  if (auto ready = wait_ready(); !ready) {
    kill9();
    return ready;
  }
  return {};
}

}  // namespace banlist::service
