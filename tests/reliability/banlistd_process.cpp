#include "banlistd_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http_client.hpp"
#include "service_fixture.hpp"

extern char** environ;

namespace banlist::test {
namespace {

std::filesystem::path fresh_dir() {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             ("banlistd-proc-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

banlistd_process::banlistd_process(std::string redis_url, std::vector<std::string> extra_args)
    : redis_url_(std::move(redis_url)), extra_args_(std::move(extra_args)), dir_(fresh_dir()) {
  spawn();
  // The first start picks a free port and prints it; later starts reuse it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  while (port_ == 0) {
    std::smatch m;
    const std::string text = log();
    if (std::regex_search(text, m, listening))
      port_ = static_cast<std::uint16_t>(std::stoul(m[1]));
    else if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("banlistd did not start: " + text);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  wait_ready();
}

banlistd_process::~banlistd_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
    kill9();
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void banlistd_process::spawn() {
  std::vector<std::string> args = {BANLIST_BANLISTD_PATH,
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port_),
                                   "--redis",
                                   redis_url_,
                                   "--seed",
                                   std::to_string(kTestSeed),
                                   "--threads",
                                   "2",
                                   "--filter-capacity",
                                   "100000"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = {"BANLIST_ADMIN_KEY=" + kAdminKey};
  for (char** e = environ; *e; ++e) {
    if (std::string_view(*e).starts_with("BANLIST_"))
      continue;  // nothing from the caller's environment configures it
    env_storage.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env_storage)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log_path = (dir_ / "banlistd.log").string();
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
}

void banlistd_process::kill9() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  wait();
}

void banlistd_process::signal(int signo) {
  if (pid_ > 0)
    ::kill(pid_, signo);
}

int banlistd_process::wait() {
  if (pid_ <= 0)
    return -1;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void banlistd_process::restart() {
  if (pid_ > 0)
    kill9();
  spawn();
}

std::string banlistd_process::wait_ready(int timeout_s) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (true) {
    try {
      http_client c(port_);
      auto r = c.get("/readyz");
      if (r.status == 200)
        return r.body;
    } catch (const std::exception&) {
      // not listening yet
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("banlistd not ready in time: " + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string banlistd_process::log() const {
  std::ifstream in(dir_ / "banlistd.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace banlist::test
