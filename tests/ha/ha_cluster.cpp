#include "ha_cluster.hpp"

#include <stdlib.h>

#include <array>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace banlist::test {
namespace fs = std::filesystem;

namespace {

std::string find_redis_server() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto candidate = fs::path(dir) / "redis-server";
    if (!dir.empty() && fs::exists(candidate))
      return fs::canonical(candidate).string();
  }
  throw std::runtime_error("ha_cluster: redis-server not found on PATH");
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe)
    return out;
  std::array<char, 4096> buffer{};
  while (auto n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    out.append(buffer.data(), n);
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

service::redis_process start_or_throw(service::redis_process_options options) {
  auto started = service::redis_process::start(std::move(options));
  if (!started)
    throw std::runtime_error("ha_cluster: " + started.error());
  return std::move(*started);
}

}  // namespace

std::string redis_cli(std::uint16_t port, const std::string& args) {
  return run("redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " " + args + " 2>&1");
}

std::string redis_cli_unix(const std::string& socket_path, const std::string& args) {
  return run("redis-cli -s '" + socket_path + "' " + args + " 2>&1");
}

ha_cluster::ha_cluster(ha_cluster_options options) {
  std::string pattern = (fs::temp_directory_path() / "banlist-ha-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("ha_cluster: cannot create a temp dir");
  dir_ = pattern;
  const std::string redis_server = find_redis_server();

  service::redis_process_options primary;
  primary.data_dir = dir_ / "redis-0";
  primary.unix_socket = false;
  primary.appendfsync = options.appendfsync;
  servers_.push_back(start_or_throw(primary));
  const std::uint16_t primary_port = servers_[0].endpoint().port;
  for (int i = 1; i <= options.replicas; ++i) {
    service::redis_process_options replica = primary;
    replica.data_dir = dir_ / ("redis-" + std::to_string(i));
    replica.extra_config = {"replicaof 127.0.0.1 " + std::to_string(primary_port)};
    servers_.push_back(start_or_throw(replica));
  }
  const auto sentinel_binary = dir_ / "redis-sentinel";
  fs::create_symlink(redis_server, sentinel_binary);
  for (int i = 0; i < options.sentinels; ++i) {
    service::redis_process_options s;
    s.data_dir = dir_ / ("sentinel-" + std::to_string(i));
    s.unix_socket = false;
    s.binary = sentinel_binary.string();
    const std::string m = " " + kMasterName;
    s.extra_config = {
        "sentinel monitor" + m + " 127.0.0.1 " + std::to_string(primary_port) + " " +
            std::to_string(options.quorum),
        "sentinel down-after-milliseconds" + m + " " + std::to_string(options.down_after_ms),
        "sentinel failover-timeout" + m + " " + std::to_string(options.failover_timeout_ms),
        "sentinel parallel-syncs" + m + " 1",
    };
    sentinels_.push_back(start_or_throw(s));
  }
}

ha_cluster::~ha_cluster() {
  sentinels_.clear();
  servers_.clear();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::size_t ha_cluster::index_of_port(std::uint16_t port) const {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i].endpoint().port == port)
      return i;
  }
  throw std::runtime_error("ha_cluster: no server on port " + std::to_string(port));
}

std::vector<std::uint16_t> ha_cluster::sentinel_ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& s : sentinels_)
    ports.push_back(s.endpoint().port);
  return ports;
}

std::string ha_cluster::sentinel_list() const {
  std::string out;
  for (const auto port : sentinel_ports()) {
    if (!out.empty())
      out.push_back(',');
    out.append("127.0.0.1:");
    out.append(std::to_string(port));
  }
  return out;
}

std::optional<std::uint16_t> ha_cluster::primary_port_by_sentinel() const {
  for (std::size_t i = 0; i < sentinels_.size(); ++i) {
    if (!sentinels_[i].running())
      continue;
    const auto out =
        redis_cli(sentinels_[i].endpoint().port, "SENTINEL get-master-addr-by-name " + kMasterName);
    const auto newline = out.find('\n');
    if (newline == std::string::npos)
      continue;
    try {
      return static_cast<std::uint16_t>(std::stoi(out.substr(newline + 1)));
    } catch (const std::exception&) {
      continue;
    }
  }
  return std::nullopt;
}

bool ha_cluster::wait_replicas_synced(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (std::size_t i = 1; i < servers_.size(); ++i) {
      const auto info = redis_cli(servers_[i].endpoint().port, "INFO replication");
      all = all && info.find("master_link_status:up") != std::string::npos;
    }
    if (all)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool ha_cluster::wait_sentinels_ready(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto replicas = std::to_string(servers_.size() - 1);
  const auto others = std::to_string(sentinels_.size() - 1);
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (const auto& s : sentinels_) {
      const auto info = redis_cli(s.endpoint().port, "INFO sentinel");
      all = all &&
            info.find("slaves=" + replicas + ",sentinels=" + std::to_string(sentinels_.size())) !=
                std::string::npos;
    }
    (void)others;
    if (all)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::optional<std::uint16_t> ha_cluster::wait_switch(std::uint16_t old_port,
                                                     std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = primary_port_by_sentinel();
    if (now && *now != old_port)
      return now;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

}  // namespace banlist::test
