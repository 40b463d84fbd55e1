#include "instance_heartbeat.hpp"

#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "json.hpp"
#include "log.hpp"
#include "service_state.hpp"

namespace banlist::service {
namespace asio = boost::asio;

std::string instance_payload(service_state& state) {
  const auto s = state.current_store();
  json_writer out;
  out.begin_object();
  out.key("id").string(state.instance_name());
  out.key("seq").uint(state.hub().head());
  out.key("ready").boolean(s && s->connected() && state.filter().loaded() &&
                           !state.shutting_down());
  out.key("partners").begin_array();
  for (const auto& v : state.hub().list()) {
    out.begin_object();
    out.key("key_id").string(v.key_id);
    out.key("transport").string(v.transport);
    out.key("sent_seq").uint(v.sent_seq);
    if (v.acked) {
      out.key("acked_seq").uint(v.acked_seq);
    } else {
      out.key("acked_seq").null();
    }
    out.end_object();
  }
  out.end_array();
  out.end_object();
  return out.take();
}

namespace {

asio::awaitable<void> heartbeat_loop(service_state& state) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool warned = false;
  while (!state.shutting_down()) {
    if (auto s = state.current_store()) {
      instance_record record{state.instance_name(), 0, instance_payload(state)};
      auto put = co_await s->put_instance(std::move(record), kInstanceDropAfter);
      if (!put && !warned && !state.shutting_down()) {
        log_line(log_level::warning, "instance heartbeat: " + put.error().message);
      }
      warned = !put;
    }
    timer.expires_after(state.config().instance_heartbeat_interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace

void start_instance_heartbeat(service_state& state, asio::any_io_executor executor) {
  asio::co_spawn(
      executor, [&state] { return heartbeat_loop(state); }, asio::detached);
}

}  // namespace banlist::service
