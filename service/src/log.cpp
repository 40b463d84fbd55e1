#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace banlist::service {

void log_line(log_level level, std::string_view message) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  const char* tag = level == log_level::info      ? "info"
                    : level == log_level::warning ? "warn"
                                                  : "error";
  std::string line = std::string(stamp) + " banlistd " + tag + ": ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace banlist::service
