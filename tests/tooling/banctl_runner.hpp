// banctl_runner: runs the built banctl binary (BANCTL_PATH) as a child
// process with a chosen environment (BANLIST_URL / BANLIST_KEY), capturing
// stdout and stderr in files, either to completion or in the background so
// a test can kill it mid-way. Not thread-safe: one owner.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace banlist::test {

struct banctl_result {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

class banctl_runner {
 public:
  // `env` is added to a clean environment (PATH and HOME kept, no BANLIST_*).
  explicit banctl_runner(std::map<std::string, std::string> env);
  ~banctl_runner();
  banctl_runner(const banctl_runner&) = delete;
  banctl_runner& operator=(const banctl_runner&) = delete;

  banctl_result run(const std::vector<std::string>& args);
  // Starts banctl without waiting; finish() waits for it.
  void start(const std::vector<std::string>& args);
  void kill9();
  banctl_result finish();

  std::map<std::string, std::string>& env() { return env_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::map<std::string, std::string> env_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

std::string slurp(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace banlist::test
