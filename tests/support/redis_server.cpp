#include "redis_server.hpp"

#include <stdlib.h>

#include <stdexcept>

namespace banlist::test {

redis_server::redis_server(redis_server_options options) {
  std::string pattern = (std::filesystem::temp_directory_path() / "banlist-redis-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("redis_server: cannot create a temp dir");
  }
  dir_ = pattern;
  service::redis_process_options po;
  po.data_dir = dir_;
  po.unix_socket = options.unix_socket;
  po.appendfsync = options.appendfsync;
  po.extra_config = std::move(options.extra_config);
  auto started = service::redis_process::start(std::move(po));
  if (!started) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw std::runtime_error("redis_server: " + started.error());
  }
  process_.emplace(std::move(*started));
}

redis_server::~redis_server() {
  process_.reset();  // stops the server
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void redis_server::restart() {
  if (auto r = process_->restart(); !r)
    throw std::runtime_error("redis_server: " + r.error());
}

}  // namespace banlist::test
