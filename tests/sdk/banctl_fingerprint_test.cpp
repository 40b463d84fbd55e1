// Runs the built banctl binary (path in BANCTL_PATH) and checks what
// `banctl fingerprint` prints and its exit codes.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs banctl with `args`, stdout and stderr captured in temporary files.
run_result run_banctl(std::vector<std::string> args) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid());
  const auto out_path = dir / ("banctl_test_out_" + tag);
  const auto err_path = dir / ("banctl_test_err_" + tag);
  args.insert(args.begin(), BANCTL_PATH);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (!std::freopen(out_path.c_str(), "w", stdout) ||
        !std::freopen(err_path.c_str(), "w", stderr)) {
      ::_exit(127);
    }
    ::unsetenv("BANLIST_SEED");
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  run_result result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

}  // namespace

TEST_CASE("banctl fingerprint prints normalized form, fingerprint and mask", "[sdk][banctl]") {
  const auto r = run_banctl({"fingerprint", "phone", "138 0013 8000"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("normalized:  +8613800138000\n") != std::string::npos);
  CHECK(r.out.find("fingerprint: f98f17f4277ac2cc5b111e6e6d88502f\n") != std::string::npos);
  CHECK(r.out.find("masked:      138****8000\n") != std::string::npos);
  CHECK(r.err.empty());
}

TEST_CASE("banctl fingerprint --seed and --json", "[sdk][banctl]") {
  const auto r = run_banctl({"fingerprint", "--json", "email", "  Zhang.San@Example.COM ", "--seed",
                             "0x0123456789abcdef"});
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "{\"type\":\"email\",\"normalized\":\"zhang.san@example.com\","
        "\"fingerprint\":\"9369acf09dee3d8ef6ed94a6bc8a9e16\",\"masked\":\"z***@example.com\","
        "\"seed\":\"0x0123456789abcdef\"}\n");
  // The same seed in decimal gives the same fingerprint.
  const auto d =
      run_banctl({"fingerprint", "email", "zhang.san@example.com", "--seed=81985529216486895"});
  CHECK(d.exit_code == 0);
  CHECK(d.out.find("9369acf09dee3d8ef6ed94a6bc8a9e16") != std::string::npos);
}

TEST_CASE("banctl fingerprint rejects an invalid identifier with exit code 1", "[sdk][banctl]") {
  const auto r = run_banctl({"fingerprint", "id_card", "110105194912310021"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("id_card") != std::string::npos);
  CHECK(r.err.find("check_digit") != std::string::npos);

  const auto j = run_banctl({"fingerprint", "bank_card", "4111111111111112", "--json"});
  CHECK(j.exit_code == 1);
  CHECK(j.out.find("\"code\":\"invalid_identifier\"") != std::string::npos);
  CHECK(j.out.find("\"rule\":\"luhn\"") != std::string::npos);
  CHECK(j.err.find("luhn") != std::string::npos);
}

TEST_CASE("banctl usage errors exit with code 2", "[sdk][banctl]") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"no-such-command"},
           {"fingerprint"},
           {"fingerprint", "phone"},
           {"fingerprint", "phone", "13800138000", "extra"},
           {"fingerprint", "fax", "13800138000"},
           {"fingerprint", "phone", "13800138000", "--seed"},
           {"fingerprint", "phone", "13800138000", "--seed", "banana"},
           {"fingerprint", "phone", "13800138000", "--seed", "0x1ffffffffffffffff"},
           {"fingerprint", "phone", "13800138000", "--colour"},
       }) {
    INFO(args.size());
    const auto r = run_banctl(args);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    const bool explained =
        r.err.find("usage") != std::string::npos || r.err.find("seed") != std::string::npos;
    CHECK(explained);
  }
  const auto help = run_banctl({"help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("fingerprint") != std::string::npos);
}
