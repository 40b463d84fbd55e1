// banbench: load and latency generator for banlistd. One subcommand per
// workload; prints figures (a human summary and a RESULT line). Not a test.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http_load.hpp"
#include "options.hpp"
#include "seed.hpp"
#include "workloads.hpp"

namespace {

using namespace banlist::banbench;

constexpr const char* kUsage = R"(usage: banbench <command> [--option value ...]

HTTP commands (closed loop, keep-alive, one request in flight per connection):
  check        GET /v1/check?fp=...  random fingerprints (negatives), or
               --fps-file FILE (one hex fp per line: positives, cycled)
  batch-check  POST /v1/check with --items N fingerprints per request (10000);
               --binary sends application/vnd.banlist.check.v1 instead of JSON
  ban          POST /v1/bans with unique generated identifiers (--run-id N)
 common: --host 127.0.0.1 --port 8080 --key SECRET (or env BANLIST_KEY)
         --connections 64 --threads 1 --warmup 1 --duration 10 (seconds)
         --count N (total requests instead of warm-up + duration)

  seed         bans N generated accounts through the store library's ban script
               --redis redis://127.0.0.1:6379/0 | unix:///path  --prefix bl:
               --count 1000000 --concurrency 512 --connections 4 --run-id 1 --start 0
               --seed N (fingerprint seed; default: the stored one, or random)
               --fps-out FILE --fps-out-limit 100000 (write seeded fps)
               --public mixed|all (mixed: a quarter public, as generated)
)";

int fail(const std::string& message) {
  std::fprintf(stderr, "banbench: %s\n", message.c_str());
  return 2;
}

std::expected<load_config, std::string> http_config(const options& opts) {
  load_config c;
  c.host = opts.text("host", "127.0.0.1");
  c.port = opts.text("port", "8080");
  const char* env_key = std::getenv("BANLIST_KEY");
  const std::string key = opts.text("key", env_key ? env_key : "");
  if (!key.empty())
    c.authorization = "Bearer " + key;
  auto connections = opts.number("connections", 64);
  auto threads = opts.number("threads", 1);
  auto count = opts.number("count", 0);
  auto warmup = opts.real("warmup", 1.0);
  auto duration = opts.real("duration", 10.0);
  if (!connections)
    return std::unexpected(connections.error());
  if (!threads)
    return std::unexpected(threads.error());
  if (!count)
    return std::unexpected(count.error());
  if (!warmup)
    return std::unexpected(warmup.error());
  if (!duration)
    return std::unexpected(duration.error());
  if (*connections == 0 || *threads == 0)
    return std::unexpected("--connections and --threads must be at least 1");
  c.connections = *connections;
  c.threads = *threads;
  c.count = *count;
  c.warmup = std::chrono::milliseconds(static_cast<std::int64_t>(*warmup * 1000));
  c.duration = std::chrono::milliseconds(static_cast<std::int64_t>(*duration * 1000));
  return c;
}

std::expected<std::shared_ptr<const std::vector<std::string>>, std::string> read_fps(
    const std::string& path) {
  if (path.empty())
    return nullptr;
  std::ifstream in(path);
  if (!in)
    return std::unexpected("cannot read " + path);
  auto fps = std::make_shared<std::vector<std::string>>();
  for (std::string line; std::getline(in, line);) {
    if (line.size() == 32)
      fps->push_back(line);
  }
  if (fps->empty())
    return std::unexpected(path + " holds no 32-digit fingerprints");
  return fps;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  auto opts = options::parse(argc, argv, 2);
  if (!opts)
    return fail(opts.error());
  if (command == "seed")
    return run_seed(*opts);

  auto config = http_config(*opts);
  if (!config)
    return fail(config.error());
  maker_factory make;
  if (command == "check") {
    auto fps = read_fps(opts->text("fps-file", ""));
    if (!fps)
      return fail(fps.error());
    make = [fps = *fps](std::size_t i) { return make_check_maker(0x5eed0000 + i, fps); };
  } else if (command == "batch-check") {
    auto items = opts->number("items", 10000);
    if (!items)
      return fail(items.error());
    make = [n = *items, binary = opts->flag("binary")](std::size_t i) {
      return make_batch_check_maker(0xba7c0000 + i, n, binary);
    };
  } else if (command == "ban") {
    auto run_id = opts->number("run-id", 2);
    if (!run_id)
      return fail(run_id.error());
    make = [run_id = *run_id, stride = config->connections](std::size_t i) {
      return make_ban_maker(run_id, i, stride);
    };
  } else {
    return fail("unknown command '" + command + "'\n" + kUsage);
  }
  const load_result result = run_load(*config, make);
  print_result(command, *config, result);
  return result.requests > 0 && result.transport_errors == 0 ? 0 : 1;
}
