#include "banctl_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace banlist::test {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

banctl_runner::banctl_runner(std::map<std::string, std::string> env) : env_(std::move(env)) {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() /
         ("banctl_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
  std::filesystem::create_directories(dir_);
}

banctl_runner::~banctl_runner() {
  if (pid_ > 0)
    kill9();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void banctl_runner::start(const std::vector<std::string>& args) {
  std::vector<std::string> argv_storage = {BANCTL_PATH};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (const char* keep : {"PATH", "HOME", "TMPDIR"}) {
    if (const char* v = std::getenv(keep))
      env_storage.push_back(std::string(keep) + "=" + v);
  }
  for (const auto& [k, v] : env_)
    env_storage.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_storage)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string out = (dir_ / "stdout").string();
  const std::string err = (dir_ / "stderr").string();
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error(std::string("cannot start banctl: ") + std::strerror(rc));
}

void banctl_runner::kill9() {
  if (pid_ > 0)
    ::kill(pid_, SIGKILL);
}

banctl_result banctl_runner::finish() {
  banctl_result r;
  int status = 0;
  if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_)
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
  r.out = slurp(dir_ / "stdout");
  r.err = slurp(dir_ / "stderr");
  return r;
}

banctl_result banctl_runner::run(const std::vector<std::string>& args) {
  start(args);
  return finish();
}

}  // namespace banlist::test
