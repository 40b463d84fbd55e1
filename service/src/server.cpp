#include "server.hpp"

#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "auth.hpp"
#include "expiry_sweeper.hpp"
#include "handlers/handlers.hpp"
#include "instance_heartbeat.hpp"
#include "log.hpp"
#include "store/sentinel_resolver.hpp"

namespace banlist::service {
namespace asio = boost::asio;

namespace {

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

server::server(service_config config)
    : state_(std::make_unique<service_state>(std::move(config))),
      ioc_(static_cast<int>(state_->config().threads)) {}

std::expected<std::unique_ptr<server>, std::string> server::start(service_config config,
                                                                  options opts) {
  if (!config.admin_key.empty() && !parse_bearer("Bearer " + config.admin_key)) {
    return std::unexpected(
        std::string("BANLIST_ADMIN_KEY must be 16-256 visible ASCII characters without spaces"));
  }
  std::unique_ptr<server> self(new server(std::move(config)));
  const service_config& c = self->state_->config();
  handlers::add_all_routes(self->state_->routes());

  std::shared_ptr<asio::ssl::context> tls;
  if (!c.tls_cert.empty()) {
    tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    boost::system::error_code ec;
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1,
                     ec);
    if (tls->use_certificate_chain_file(c.tls_cert, ec); ec) {
      return std::unexpected("--tls-cert " + c.tls_cert + ": " + ec.message());
    }
    if (tls->use_private_key_file(c.tls_key, asio::ssl::context::pem, ec); ec) {
      return std::unexpected("--tls-key " + c.tls_key + ": " + ec.message());
    }
    self->tls_ = true;
  }

  if (c.redis_url.empty() && c.redis_sentinels.empty()) {
    redis_process_options ro;
    ro.data_dir = c.data_dir;
    ro.binary = c.redis_server_path;
    ro.appendfsync = "always";  // an acknowledged ban is on disk
    auto started = redis_process::start(std::move(ro));
    if (!started)
      return std::unexpected("embedded redis-server: " + started.error());
    self->redis_.emplace(std::move(*started));
  }

  auto bound = listener::open(self->ioc_, *self->state_, c.listen_host, c.listen_port, tls);
  if (!bound)
    return std::unexpected(bound.error());
  self->listener_ = std::move(*bound);
  self->port_ = self->listener_->port();
  // Subscriptions: this instance's name for GET /v1/subscribers and the
  // hub's families in /metrics (WebSocket and SSE sessions close themselves
  // with a "shutdown" reset when drain() asks the registry to close).
  self->state_->set_instance_name(c.instance_name.empty()
                                      ? c.listen_host + ":" + std::to_string(self->port_)
                                      : c.instance_name);
  self->state_->metrics().add_source(
      [hub = &self->state_->hub()](std::string& out) { hub->render_metrics(out); });
  self->listener_->start();

  self->work_.emplace(self->ioc_.get_executor());
  if (opts.handle_signals) {
    self->signals_.emplace(self->ioc_, SIGINT, SIGTERM);
    self->signals_->async_wait([raw = self.get()](const boost::system::error_code& ec, int sig) {
      if (ec)
        return;
      log_line(log_level::info, std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                                    "; shutting down");
      raw->stop();
    });
  }
  self->follower_ = std::make_shared<change_follower>(*self->state_, asio::make_strand(self->ioc_));
  asio::co_spawn(
      self->ioc_, [raw = self.get()] { return raw->connect_store(); }, asio::detached);
  for (unsigned i = 0; i < c.threads; ++i) {
    self->threads_.emplace_back([raw = self.get()] { raw->ioc_.run(); });
  }
  return self;
}

server::~server() {
  stop();
  (void)wait();
}

void server::fail(std::string message) {
  log_line(log_level::error, message);
  {
    std::lock_guard lock(mutex_);
    if (!fatal_)
      fatal_ = std::move(message);
  }
  stop();
}

asio::awaitable<void> server::connect_store() {
  const service_config& c = state_->config();
  // With Sentinel, the endpoint is discovered (host and port are placeholders).
  const std::string url =
      redis_ ? redis_->url() : (c.redis_sentinels.empty() ? c.redis_url : "redis://sentinel");
  auto endpoint = redis_endpoint::parse(url);
  if (!endpoint) {
    fail("--redis " + url + ": " + endpoint.error());
    co_return;
  }
  store_options so;
  so.key_prefix = c.key_prefix;
  so.command_timeout = c.redis_timeout;
  for (const auto& text : c.redis_sentinels) {
    auto parsed = parse_sentinel_list(text);
    if (!parsed) {
      fail("--redis-sentinel: " + parsed.error());
      co_return;
    }
    so.sentinel.sentinels.insert(so.sentinel.sentinels.end(), parsed->begin(), parsed->end());
  }
  so.sentinel.master_name = c.redis_master_name;
  so.sentinel.timeout = c.sentinel_timeout;
  so.replica_acks = c.replica_acks;
  so.replica_ack_timeout = c.replica_ack_timeout;
  so.read_from_replicas = c.read_from_replicas;
  std::chrono::milliseconds backoff{100};
  std::shared_ptr<store> s;
  while (!state_->shutting_down()) {
    state_->set_startup_status("connecting to Redis");
    auto opened = co_await open_redis_store(ioc_.get_executor(), *endpoint, so);
    if (opened) {
      s = std::move(*opened);
      break;
    }
    log_line(log_level::warning, "cannot open the store: " + opened.error().message);
    asio::steady_timer pause(ioc_, backoff);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
  if (!s)
    co_return;
  {
    std::lock_guard lock(mutex_);
    opened_ = s;
  }
  // drain() may have looked for a store to close just before it was opened.
  if (state_->shutting_down()) {
    co_await s->close();
    co_return;
  }

  // The seed is fixed for the life of a list: fingerprints made with another
  // one would silently never match.
  state_->set_startup_status("reading the list identity");
  list_identity identity;
  while (true) {
    auto id = co_await s->init_list(c.seed.value_or(random_seed()));
    if (id) {
      identity = *id;
      break;
    }
    if (id.error().code != store_errc::unavailable &&
        id.error().code != store_errc::outcome_unknown) {
      fail("init_list: " + id.error().message);
      co_return;
    }
    if (state_->shutting_down())
      co_return;
    asio::steady_timer pause(ioc_, backoff);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (c.seed && identity.seed != *c.seed) {
    fail("refusing to start: --seed " + std::to_string(*c.seed) +
         " differs from the seed stored with the list (" + std::to_string(identity.seed) +
         "); fingerprints would not match. Use the stored seed or another --key-prefix.");
    co_return;
  }
  state_->set_seed(identity.seed);
  state_->set_epoch(identity.epoch);

  if (!c.admin_key.empty()) {
    auto registered = co_await s->register_key(c.admin_key, role::admin, "bootstrap admin");
    if (!registered) {
      fail("registering BANLIST_ADMIN_KEY failed: " + registered.error().message);
      co_return;
    }
    log_line(log_level::info, "BANLIST_ADMIN_KEY registered as admin key id " + registered->id);
  }
  state_->set_store(s);
  state_->set_startup_status("loading the filter");
  // The cache first: start() opens the snapshot directory (clearing what a
  // previous run left), where the follower's start-up scan keeps its runs.
  state_->snapshots().start(*state_, ioc_.get_executor());
  follower_->start();
  // Issue 7: lift expired bans (every instance; the script makes it once).
  asio::co_spawn(ioc_, run_expiry_sweeper(*state_), asio::detached);
  start_instance_heartbeat(*state_, ioc_.get_executor());
}

void server::stop() {
  std::call_once(stop_once_, [this] {
    state_->begin_shutdown();
    if (listener_)
      listener_->stop();
    if (follower_)
      follower_->stop();
    if (signals_) {
      asio::post(ioc_, [this] {
        boost::system::error_code ignored;
        signals_->cancel(ignored);
      });
    }
    asio::co_spawn(
        ioc_, [this] { return drain(); }, asio::detached);
  });
}

asio::awaitable<void> server::drain() {
  const auto deadline = std::chrono::steady_clock::now() + state_->config().shutdown_timeout;
  asio::steady_timer tick(ioc_);
  boost::system::error_code ec;
  bool store_closed = false;
  while (std::chrono::steady_clock::now() < deadline) {
    state_->sessions().close_idle();
    // Once no request needs Redis, close the store: every command still
    // waiting on it (the follower's XREAD, a snapshot build's scan, the
    // heartbeat's or the expiry sweeper's write) fails at once instead of
    // at its deadline, so a stalled Redis does not hold the shutdown up.
    if (state_->sessions().size() == 0 && !store_closed) {
      co_await close_store();
      store_closed = true;
    }
    // The follower and the snapshot loop finish before ioc_ stops: a frame
    // of theirs destroyed with ioc_ could still be doing its work.
    if (store_closed && (!follower_ || follower_->finished()) && !state_->snapshots().running())
      break;
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (state_->sessions().size() != 0) {
    log_line(log_level::warning, std::to_string(state_->sessions().size()) +
                                     " connections still open at the shutdown deadline; closing");
  }
  // Past the deadline too: a coroutine parked on a reply holds the store,
  // which holds the reply's queue, so a store left open would never be
  // freed (LeakSanitizer found this cycle behind a stalled Redis).
  if (!store_closed)
    co_await close_store();
  work_.reset();
  ioc_.stop();
}

asio::awaitable<void> server::close_store() {
  std::shared_ptr<store> s;
  {
    std::lock_guard lock(mutex_);
    s = opened_;
  }
  if (s)
    co_await s->close();
}

bool server::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (state_->shutting_down())
      return false;
    auto s = state_->current_store();
    if (s && s->connected() && state_->filter().loaded())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::expected<void, std::string> server::wait() {
  if (!waited_) {
    waited_ = true;
    for (auto& t : threads_)
      t.join();
    threads_.clear();
    // Drop our references while the io_context still exists; frames still
    // parked in it are destroyed with it.
    listener_.reset();
    follower_.reset();
    // Its worker may still hand a result to the io_context: finish it first.
    state_->snapshots().stop();
    signals_.reset();
    state_->set_store(nullptr);
    {
      std::lock_guard lock(mutex_);
      opened_.reset();
    }
    if (redis_)
      redis_->stop();
  }
  std::lock_guard lock(mutex_);
  if (fatal_)
    return std::unexpected(*fatal_);
  return {};
}

}  // namespace banlist::service
