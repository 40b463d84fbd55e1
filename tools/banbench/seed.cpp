#include "seed.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "banlist/sdk/identifier.hpp"
#include "store/store.hpp"
#include "workloads.hpp"

namespace banlist::banbench {
namespace {

namespace asio = boost::asio;
using service::ban_record;
using service::store;

struct seed_plan {
  std::uint64_t count = 0;
  std::uint64_t start = 0;
  std::uint64_t run_id = 1;
  std::size_t concurrency = 512;
  std::size_t stores = 4;  // connections; Redis reads ~16 KiB per connection per fsync
  std::uint64_t fps_out_limit = 0;
  std::ofstream* fps_out = nullptr;
  bool all_public = false;  // --public all: every ban public (notice page benchmark)
};

struct seed_progress {
  std::uint64_t next = 0;  // next number to ban (single-threaded io_context)
  std::uint64_t created = 0;
  std::uint64_t existed = 0;
  std::uint64_t failed = 0;
  std::uint64_t written_fps = 0;
  std::string first_error;
  std::chrono::steady_clock::time_point began;
};

std::expected<ban_record, std::string> to_record(const generated_ban& b, std::uint64_t seed) {
  const auto type = sdk::parse_identifier_type(b.type);
  if (!type)
    return std::unexpected("bad type " + b.type);
  auto normalized = sdk::normalize(*type, b.value);
  if (!normalized)
    return std::unexpected("generated value does not normalize: " + normalized.error().message);
  ban_record r;
  r.type = *type;
  r.fp = sdk::fingerprint_of(*type, *normalized, seed);
  r.masked = sdk::mask(*type, *normalized);
  r.value = std::move(*normalized);
  r.reason = b.reason;
  r.note = b.note;
  r.case_id = b.case_id;
  r.source = b.source;
  r.is_public = b.is_public;
  return r;
}

asio::awaitable<void> seed_worker(std::shared_ptr<store> s, std::uint64_t seed,
                                  const seed_plan& plan, seed_progress& progress) {
  // What banlistd would record for a moderator's POST /v1/bans: a key id
  // (16 hex digits), the client's address and a generated request id (16
  // hex digits), so the audit entries weigh what real ones do.
  service::actor who;
  who.key_id = "5eed5eed5eed0001";
  who.address = "10.20.30.40";
  while (progress.next < plan.start + plan.count) {
    const std::uint64_t number = progress.next++;
    auto record = to_record(make_ban(plan.run_id, number), seed);
    if (record && plan.all_public)
      record->is_public = true;
    if (!record) {
      if (progress.first_error.empty())
        progress.first_error = record.error();
      ++progress.failed;
      continue;
    }
    char request_id[17];
    std::snprintf(
        request_id, sizeof request_id, "%016llx",
        static_cast<unsigned long long>((number ^ plan.run_id << 40) * 0x9e3779b97f4a7c15ULL));
    who.request_id = request_id;
    const std::string fp_hex = record->fp.to_hex();
    auto outcome = co_await s->ban(std::move(*record), who);
    if (!outcome) {
      if (progress.first_error.empty())
        progress.first_error = outcome.error().message;
      ++progress.failed;
      continue;
    }
    ++(outcome->created ? progress.created : progress.existed);
    if (plan.fps_out && progress.written_fps < plan.fps_out_limit) {
      *plan.fps_out << fp_hex << '\n';
      ++progress.written_fps;
    }
    const std::uint64_t done = progress.created + progress.existed + progress.failed;
    if (done % 500000 == 0) {
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - progress.began).count();
      std::fprintf(stderr, "seed: %llu done, %.0f bans/s\n", static_cast<unsigned long long>(done),
                   static_cast<double>(done) / secs);
    }
  }
}

asio::awaitable<int> seed_main(const service::redis_endpoint& endpoint, std::string prefix,
                               std::optional<std::uint64_t> wanted_seed, const seed_plan& plan) {
  service::store_options so;
  so.key_prefix = std::move(prefix);
  so.command_timeout = std::chrono::milliseconds(30000);
  auto executor = co_await asio::this_coro::executor;
  std::vector<std::shared_ptr<store>> stores;
  for (std::size_t i = 0; i < plan.stores; ++i) {
    auto opened = co_await service::open_redis_store(executor, endpoint, so);
    if (!opened) {
      std::fprintf(stderr, "banbench seed: cannot open the store: %s\n",
                   opened.error().message.c_str());
      co_return 1;
    }
    stores.push_back(*opened);
  }
  std::shared_ptr<store> s = stores.front();
  const std::uint64_t proposed =
      wanted_seed ? *wanted_seed : std::random_device{}() * 0x100000001ULL;
  auto identity = co_await s->init_list(proposed);
  if (!identity) {
    std::fprintf(stderr, "banbench seed: init_list failed: %s\n", identity.error().message.c_str());
    co_return 1;
  }
  if (wanted_seed && identity->seed != *wanted_seed) {
    std::fprintf(stderr, "banbench seed: the list has another seed (%llu)\n",
                 static_cast<unsigned long long>(identity->seed));
    co_return 1;
  }
  seed_progress progress;
  progress.next = plan.start;
  progress.began = std::chrono::steady_clock::now();
  // Workers run on this one-threaded io_context; they share `progress`
  // without locks. The store pipelines their scripts on one connection.
  auto done = std::make_shared<std::size_t>(0);
  asio::steady_timer all_done(executor, std::chrono::steady_clock::time_point::max());
  for (std::size_t i = 0; i < plan.concurrency; ++i) {
    asio::co_spawn(executor, seed_worker(stores[i % stores.size()], identity->seed, plan, progress),
                   [done, &all_done, &plan](std::exception_ptr) {
                     if (++*done == plan.concurrency)
                       all_done.cancel();
                   });
  }
  boost::system::error_code ec;
  co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - progress.began).count();
  const std::uint64_t total = progress.created + progress.existed;
  std::printf(
      "banbench seed: %llu bans (%llu new, %llu already banned, %llu failed) in %.1f s, "
      "%.0f bans/s, %zu in flight on %zu connections, seed %llu\n",
      static_cast<unsigned long long>(total), static_cast<unsigned long long>(progress.created),
      static_cast<unsigned long long>(progress.existed),
      static_cast<unsigned long long>(progress.failed), secs, static_cast<double>(total) / secs,
      plan.concurrency, plan.stores, static_cast<unsigned long long>(identity->seed));
  std::printf(
      "RESULT seed count=%llu created=%llu failed=%llu seconds=%.2f bans_per_s=%.1f\n",
      static_cast<unsigned long long>(total), static_cast<unsigned long long>(progress.created),
      static_cast<unsigned long long>(progress.failed), secs, static_cast<double>(total) / secs);
  if (!progress.first_error.empty())
    std::fprintf(stderr, "banbench seed: first error: %s\n", progress.first_error.c_str());
  co_return progress.failed == 0 ? 0 : 1;
}

}  // namespace

int run_seed(const options& opts) {
  auto count = opts.number("count", 1000000);
  auto start = opts.number("start", 0);
  auto run_id = opts.number("run-id", 1);
  auto concurrency = opts.number("concurrency", 512);
  auto fps_limit = opts.number("fps-out-limit", 100000);
  auto stores = opts.number("connections", 4);
  for (const auto* v : {&count, &start, &run_id, &concurrency, &fps_limit, &stores}) {
    if (!*v) {
      std::fprintf(stderr, "banbench seed: %s\n", v->error().c_str());
      return 2;
    }
  }
  auto endpoint = service::redis_endpoint::parse(opts.text("redis", "redis://127.0.0.1:6379/0"));
  if (!endpoint) {
    std::fprintf(stderr, "banbench seed: --redis: %s\n", endpoint.error().c_str());
    return 2;
  }
  std::optional<std::uint64_t> wanted_seed;
  if (const auto text = opts.text("seed", ""); !text.empty()) {
    auto n = opts.number("seed", 0);
    if (!n) {
      std::fprintf(stderr, "banbench seed: %s\n", n.error().c_str());
      return 2;
    }
    wanted_seed = *n;
  }
  std::ofstream fps_out;
  seed_plan plan;
  plan.count = *count;
  plan.start = *start;
  plan.run_id = *run_id;
  plan.concurrency = std::max<std::size_t>(1, *concurrency);
  plan.fps_out_limit = *fps_limit;
  plan.stores = std::max<std::size_t>(1, *stores);
  const auto publish = opts.text("public", "mixed");
  if (publish != "mixed" && publish != "all") {
    std::fprintf(stderr, "banbench seed: --public is mixed (a quarter public) or all\n");
    return 2;
  }
  plan.all_public = publish == "all";
  if (const auto path = opts.text("fps-out", ""); !path.empty()) {
    fps_out.open(path);
    if (!fps_out) {
      std::fprintf(stderr, "banbench seed: cannot write %s\n", path.c_str());
      return 2;
    }
    plan.fps_out = &fps_out;
  }
  asio::io_context ioc(1);
  int status = 1;
  asio::co_spawn(ioc, seed_main(*endpoint, opts.text("prefix", "bl:"), wanted_seed, plan),
                 [&status, &ioc](std::exception_ptr e, int result) {
                   if (e) {
                     std::fprintf(stderr, "banbench seed: unexpected exception\n");
                     status = 1;
                   } else {
                     status = result;
                   }
                   ioc.stop();  // the store's reconnect timers would keep run() going
                 });
  ioc.run();
  return status;
}

}  // namespace banlist::banbench
