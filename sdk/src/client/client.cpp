#include "banlist/sdk/client.hpp"

#include <utility>  // before Boost 1.74 awaitable.hpp, which needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <thread>

#include "server_url.hpp"
#include "sync_loop.hpp"
#include "transport.hpp"

namespace banlist::sdk {

namespace net = boost::asio;

std::string_view to_string(sync_transport transport) noexcept {
  switch (transport) {
    case sync_transport::none:
      return "none";
    case sync_transport::websocket:
      return "websocket";
    case sync_transport::long_poll:
      return "long_poll";
  }
  return "";
}

struct client::impl {
  impl(client_config c, detail::server_url u, net::ssl::context tls_context,
       std::unique_ptr<stored_replica> s, load_report r)
      : config(std::move(c)),
        url(std::move(u)),
        tls(std::move(tls_context)),
        stored(std::move(s)),
        stored_report(r) {}

  void start() {
    if (thread.joinable())
      return;
    io = std::make_unique<net::io_context>(1);
    link = std::make_unique<detail::transport>(*io, url, config.key, tls, config.max_message_bytes);
    loop = std::make_unique<detail::sync_loop>(*link, *stored, config, progress);
    net::co_spawn(*io, loop->run(), net::detached);
    thread = std::thread([this] { io->run(); });
  }

  void stop() {
    if (!thread.joinable())
      return;
    io->stop();
    thread.join();
    loop->flush(true);
    // Destroying the io_context destroys the suspended coroutines (and their
    // sockets) before the objects they refer to.
    io.reset();
    loop.reset();
    link.reset();
    std::lock_guard lock(progress.mutex);
    progress.connected = false;
    progress.transport = sync_transport::none;
    progress.heard_since_start = false;
  }

  client_config config;
  detail::server_url url;
  net::ssl::context tls;
  std::unique_ptr<stored_replica> stored;
  load_report stored_report;
  detail::sync_progress progress;
  // Built by start(), torn down by stop(); used by the io thread only,
  // except that check_online posts coroutines to `io`.
  std::unique_ptr<net::io_context> io;
  std::unique_ptr<detail::transport> link;
  std::unique_ptr<detail::sync_loop> loop;
  std::thread thread;
};

client::client(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

client::~client() {
  stop();
}

std::expected<std::unique_ptr<client>, std::error_code> client::open(client_config config) {
  const auto invalid = std::make_error_code(std::errc::invalid_argument);
  auto url = detail::parse_server_url(config.url);
  if (!url || config.key.empty() || config.storage_dir.empty() ||
      (config.mode != client_mode::filter && config.mode != client_mode::replica) ||
      config.backoff_initial.count() <= 0 || config.backoff_max < config.backoff_initial ||
      config.long_poll_period.count() <= 0 ||
      (config.websocket_drop_limit > 0 && config.websocket_drop_window.count() <= 0))
    return std::unexpected(invalid);
  net::ssl::context tls(net::ssl::context::tls_client);
  boost::system::error_code ec;
  tls.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                      net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                      net::ssl::context::no_tlsv1_1,
                  ec);
  if (!ec)
    tls.set_verify_mode(net::ssl::verify_peer, ec);
  if (!ec) {
    if (config.ca_file.empty())
      tls.set_default_verify_paths(ec);
    else
      tls.load_verify_file(config.ca_file, ec);
  }
  if (ec)
    return std::unexpected(std::error_code(ec));
  load_report report;
  auto stored = stored_replica::open(config.storage_dir, config.mode, &report);
  if (!stored)
    return std::unexpected(stored.error());
  return std::unique_ptr<client>(new client(std::make_unique<impl>(
      std::move(config), std::move(*url), std::move(tls), std::move(*stored), report)));
}

void client::start() {
  impl_->start();
}
void client::stop() {
  impl_->stop();
}

check_result client::check(const fingerprint& fp) const noexcept {
  return impl_->stored->replica().check(fp);
}

void client::check_many(std::span<const fingerprint> fps,
                        std::span<check_result> out) const noexcept {
  impl_->stored->replica().check_many(fps, out);
}

std::expected<check_result, normalize_error> client::check(identifier_type type,
                                                           std::string_view value) const {
  return impl_->stored->replica().check(type, value);
}

std::expected<check_result, std::error_code> client::check_online(
    const fingerprint& fp, std::chrono::milliseconds timeout) {
  check_result local = check(fp);
  if (local.verdict == check_verdict::banned || local.verdict == check_verdict::not_banned)
    return local;
  if (!impl_->io)
    return std::unexpected(std::make_error_code(std::errc::not_connected));
  auto future = net::co_spawn(*impl_->io, impl_->loop->confirm(fp), net::use_future);
  if (future.wait_for(timeout) != std::future_status::ready)
    return std::unexpected(std::make_error_code(std::errc::timed_out));
  return future.get();
}

std::expected<check_result, std::error_code> client::check_online(
    identifier_type type, std::string_view value, std::chrono::milliseconds timeout) {
  auto local = check(type, value);
  if (!local)
    return std::unexpected(std::make_error_code(std::errc::invalid_argument));
  if (local->verdict == check_verdict::banned || local->verdict == check_verdict::not_banned)
    return *local;
  if (local->verdict == check_verdict::unknown) {
    // No seed yet: the fingerprint cannot be computed locally.
    return std::unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
  }
  return check_online(local->fp, timeout);
}

client_status client::status() const {
  client_status out;
  out.replica = impl_->stored->replica().status();
  out.stored = impl_->stored_report;
  std::lock_guard lock(impl_->progress.mutex);
  out.transport = impl_->progress.transport;
  out.connected = impl_->progress.connected;
  out.snapshots_loaded = impl_->progress.snapshots_loaded;
  out.batches_applied = impl_->progress.batches_applied;
  out.reconnects = impl_->progress.reconnects;
  out.websocket_drops = impl_->progress.websocket_drops;
  out.long_poll_fallbacks = impl_->progress.long_poll_fallbacks;
  out.last_error = impl_->progress.last_error;
  return out;
}

bool client::wait_until_current(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const replica_status st = impl_->stored->replica().status();
    bool heard = false;
    {
      std::lock_guard lock(impl_->progress.mutex);
      heard = impl_->progress.heard_since_start;
    }
    if (st.loaded && heard && st.lag == 0)
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void client::set_change_callback(change_callback callback) {
  impl_->stored->replica().set_change_callback(std::move(callback));
}

const local_replica& client::replica() const noexcept {
  return impl_->stored->replica();
}

}  // namespace banlist::sdk
