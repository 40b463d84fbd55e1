#include "store/redis_connection.hpp"

#include <algorithm>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace banlist::service {
namespace asio = boost::asio;

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
}

redis_connection::redis_connection(asio::any_io_executor executor, config cfg)
    : strand_(asio::make_strand(executor)),
      config_(std::move(cfg)),
      endpoint_(config_.endpoint),
      deadline_timer_(strand_),
      backoff_timer_(strand_),
      disconnect_signal_(strand_) {}

redis_connection::~redis_connection() = default;

std::shared_ptr<redis_connection> redis_connection::create(asio::any_io_executor executor,
                                                           config cfg) {
  std::shared_ptr<redis_connection> self(new redis_connection(executor, std::move(cfg)));
  asio::co_spawn(self->strand_, run(self), asio::detached);
  return self;
}

void redis_connection::close() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->close_on_strand(); });
}

asio::awaitable<void> redis_connection::close_and_wait() {
  auto on_strand = [self = shared_from_this()]() -> asio::awaitable<void> {
    self->close_on_strand();
    co_return;
  };
  co_await asio::co_spawn(strand_, std::move(on_strand), asio::use_awaitable);
}

void redis_connection::close_on_strand() {
  closed_ = true;
  fail_connection(failure_kind::connection_lost, "connection closed");
  backoff_timer_.cancel();
  disconnect_signal_.cancel();
}

void redis_connection::follow_switch(std::string host, std::uint16_t port) {
  asio::dispatch(strand_, [self = shared_from_this(), host = std::move(host), port] {
    if (self->closed_)
      return;
    const bool there = self->state_ != state::disconnected && self->endpoint_.host == host &&
                       self->endpoint_.port == port;
    if (!there && self->state_ != state::disconnected)
      self->fail_connection(failure_kind::connection_lost, "the primary moved (+switch-master)");
    self->backoff_timer_.cancel();
  });
}

void redis_connection::set_last_error(std::string text) {
  std::lock_guard lock(last_error_mutex_);
  last_error_ = std::move(text);
}

std::string redis_connection::last_error() const {
  std::lock_guard lock(last_error_mutex_);
  return last_error_.empty() ? std::string("not connected yet") : last_error_;
}

asio::awaitable<store_result<void>> redis_connection::wait_connected(
    std::chrono::milliseconds timeout) {
  // Polling is fine here: this runs once per start, not per request.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = clock::now() + timeout;
  while (!connected()) {
    if (clock::now() >= deadline) {
      co_return std::unexpected(to_store_error(failure_kind::not_connected, last_error()));
    }
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return store_result<void>{};
}

asio::awaitable<store_result<redis_value>> redis_connection::execute(
    command cmd, std::chrono::milliseconds timeout) {
  return execute_one(shared_from_this(), std::move(cmd), timeout);
}

asio::awaitable<store_result<redis_value>> redis_connection::execute_one(
    std::shared_ptr<redis_connection> self, command cmd, std::chrono::milliseconds timeout) {
  std::vector<command> cmds;
  cmds.push_back(std::move(cmd));
  auto result = co_await self->submit(std::move(cmds), timeout, false);
  if (!result)
    co_return std::unexpected(std::move(result.error()));
  if (result->size() != 1) {
    co_return std::unexpected(to_store_error(failure_kind::unexpected_reply, "reply count"));
  }
  co_return std::move(result->front());
}

asio::awaitable<store_result<std::vector<redis_value>>> redis_connection::execute_pipeline(
    std::vector<command> cmds, std::chrono::milliseconds timeout) {
  return submit(std::move(cmds), timeout, false);
}

asio::awaitable<store_result<redis_connection::replies>> redis_connection::submit(
    std::vector<command> cmds, std::chrono::milliseconds timeout, bool internal) {
  auto initiation = [](auto handler, std::shared_ptr<redis_connection> self,
                       std::vector<command> cmds, clock::time_point deadline, bool internal) {
    // Complete on the awaiting coroutine's executor, keeping it alive
    // (outstanding work) until then.
    auto home = asio::prefer(asio::get_associated_executor(handler, self->strand_),
                             asio::execution::outstanding_work.tracked);
    replies_handler done = [handler = std::move(handler),
                            home = std::move(home)](store_result<replies> result) mutable {
      // Post through an untracked copy: the tracked `home` moves into the
      // posted function and is released on the home executor's own thread
      // once the handler ran. Keeping a tracked copy here would release it
      // on this (the connection's) thread after the post, possibly after the
      // home io_context had run out of work and been destroyed.
      auto executor = asio::prefer(home, asio::execution::outstanding_work.untracked);
      asio::post(executor, [handler = std::move(handler), home = std::move(home),
                            result = std::move(result)]() mutable { handler(std::move(result)); });
    };
    asio::dispatch(self->strand_, [self, cmds = std::move(cmds), deadline, done = std::move(done),
                                   internal]() mutable {
      self->enqueue(std::move(cmds), deadline, std::move(done), internal);
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(store_result<replies>)>(
      std::move(initiation), asio::use_awaitable, shared_from_this(), std::move(cmds),
      clock::now() + timeout, internal);
}

void redis_connection::enqueue(std::vector<command> cmds, clock::time_point deadline,
                               replies_handler done, bool internal) {
  const bool accepting =
      !closed_ && (state_ == state::connected || (internal && state_ == state::handshaking));
  if (!accepting) {
    done(std::unexpected(
        to_store_error(failure_kind::not_connected, closed_ ? "connection closed" : last_error())));
    return;
  }
  if (cmds.empty()) {
    done(replies{});
    return;
  }
  for (const auto& cmd : cmds)
    encode_command(cmd, write_buffer_);
  pending_command entry;
  entry.expected = cmds.size();
  entry.received.reserve(cmds.size());
  entry.deadline = deadline;
  entry.done = std::move(done);
  pending_.push_back(std::move(entry));
  arm_deadline(deadline);
  start_write();
}

void redis_connection::start_write() {
  if (writing_ || write_buffer_.empty() || !socket_)
    return;
  writing_ = true;
  // The buffer in flight belongs to the write operation, so a failure that
  // resets the connection cannot free it under the kernel's feet.
  auto in_flight = std::make_shared<std::string>(std::move(write_buffer_));
  write_buffer_.clear();
  asio::async_write(
      *socket_, asio::buffer(*in_flight),
      asio::bind_executor(strand_, [self = shared_from_this(), in_flight, generation = generation_](
                                       boost::system::error_code ec, std::size_t) {
        if (generation != self->generation_)
          return;
        self->writing_ = false;
        if (ec) {
          self->fail_connection(failure_kind::connection_lost, ec.message());
          return;
        }
        self->start_write();
      }));
}

void redis_connection::start_read() {
  auto buffer = std::make_shared<std::array<char, kReadChunk>>();
  auto reader = [self = shared_from_this(), buffer, generation = generation_](
                    auto& again, boost::system::error_code ec, std::size_t n) -> void {
    if (generation != self->generation_)
      return;
    if (ec) {
      self->fail_connection(failure_kind::connection_lost, ec.message());
      return;
    }
    self->decoder_->feed(std::string_view(buffer->data(), n));
    while (auto value = self->decoder_->next()) {
      self->on_reply(std::move(*value));
      if (generation != self->generation_)
        return;  // on_reply may fail the link
    }
    if (self->decoder_->failed()) {
      self->fail_connection(failure_kind::reader_error, self->decoder_->error());
      return;
    }
    self->socket_->async_read_some(
        asio::buffer(*buffer),
        asio::bind_executor(self->strand_, [again](boost::system::error_code e, std::size_t m) {
          again(again, e, m);
        }));
  };
  socket_->async_read_some(
      asio::buffer(*buffer),
      asio::bind_executor(
          strand_, [reader](boost::system::error_code e, std::size_t m) { reader(reader, e, m); }));
}

void redis_connection::on_reply(redis_value value) {
  if (pending_.empty()) {
    fail_connection(failure_kind::reader_error, "reply without a request");
    return;
  }
  auto& front = pending_.front();
  front.received.push_back(std::move(value));
  if (front.received.size() < front.expected)
    return;
  auto done = std::move(front.done);
  auto received = std::move(front.received);
  pending_.pop_front();
  // A former primary (now a replica) refuses writes with READONLY and
  // releases blocked XREADs with UNBLOCKED: the reply is delivered (nothing
  // was applied), then the link drops so the reconnect re-discovers.
  std::string demoted;
  if (config_.require_primary) {
    for (const auto& r : received) {
      const auto* error = r.error();
      if (error &&
          (error->message.starts_with("READONLY") || error->message.starts_with("UNBLOCKED"))) {
        demoted = error->message;
      }
    }
  }
  done(std::move(received));
  if (!demoted.empty())
    fail_connection(failure_kind::connection_lost,
                    "the server is no longer the primary: " + demoted);
}

void redis_connection::arm_deadline(clock::time_point deadline) {
  if (deadline_armed_at_ && *deadline_armed_at_ <= deadline)
    return;
  deadline_armed_at_ = deadline;
  deadline_timer_.expires_at(deadline);
  deadline_timer_.async_wait(
      asio::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec == asio::error::operation_aborted)
          return;
        self->on_deadline_timer();
      }));
}

void redis_connection::on_deadline_timer() {
  deadline_armed_at_.reset();
  if (pending_.empty())
    return;
  const auto now = clock::now();
  auto earliest = clock::time_point::max();
  for (const auto& entry : pending_)
    earliest = std::min(earliest, entry.deadline);
  if (earliest <= now) {
    fail_connection(failure_kind::deadline, "command deadline passed");
    return;
  }
  arm_deadline(earliest);
}

void redis_connection::fail_connection(failure_kind kind, const std::string& detail) {
  ++generation_;
  const bool was_up = state_ != state::disconnected;
  state_ = state::disconnected;
  connected_flag_.store(false, std::memory_order_release);
  if (socket_) {
    boost::system::error_code ignored;
    socket_->close(ignored);
    socket_.reset();
  }
  deadline_timer_.cancel();
  deadline_armed_at_.reset();
  writing_ = false;
  write_buffer_.clear();
  decoder_.reset();
  if (was_up)
    set_last_error(detail);
  auto failed = std::move(pending_);
  pending_.clear();
  for (auto& entry : failed)
    entry.done(std::unexpected(to_store_error(kind, detail)));
  disconnect_signal_.cancel();
}

asio::awaitable<void> redis_connection::run(std::shared_ptr<redis_connection> self) {
  // The loop's frame dies with its io_context if that is destroyed before
  // close() (a test's short-lived context; banlistd closes its store
  // first). A command still pending then holds its caller's frame, which
  // may hold this connection's owner, which holds the command: nothing
  // would ever free them. Dropping the pending handlers with the frame (as
  // the context drops its own queued handlers) breaks that cycle. Declared
  // after `self`, so the connection is alive while they go.
  struct drop_pending_on_abandon {
    redis_connection& connection;
    ~drop_pending_on_abandon() {
      auto abandoned = std::move(connection.pending_);
      connection.pending_.clear();
    }
  } drop_pending{*self};
  auto backoff = self->config_.reconnect_min;
  while (!self->closed_) {
    auto connected = co_await self->connect_once();
    if (connected) {
      self->state_ = state::connected;
      self->connected_flag_.store(true, std::memory_order_release);
      self->connect_count_.fetch_add(1, std::memory_order_relaxed);
      backoff = self->config_.reconnect_min;
      while (self->state_ == state::connected && !self->closed_) {
        self->disconnect_signal_.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ec;
        co_await self->disconnect_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
    } else {
      self->set_last_error(connected.error().message);
      if (self->state_ != state::disconnected) {
        self->fail_connection(failure_kind::connection_lost, connected.error().message);
      }
    }
    if (self->closed_)
      break;
    self->backoff_timer_.expires_after(backoff);
    boost::system::error_code ec;
    co_await self->backoff_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    backoff = std::min(backoff * 2, self->config_.reconnect_max);
  }
}

asio::awaitable<store_result<void>> redis_connection::connect_once() {
  if (config_.discover) {
    auto found = co_await config_.discover();
    if (!found)
      co_return std::unexpected(std::move(found.error()));
    endpoint_ = std::move(*found);
  }
  const auto& ep = endpoint_;
  socket_type socket(strand_);
  boost::system::error_code ec;

  // Connecting can hang (unreachable host); a timer closes the socket.
  asio::steady_timer connect_deadline(strand_);
  connect_deadline.expires_after(config_.handshake_timeout);
  bool timed_out = false;
  connect_deadline.async_wait([&socket, &timed_out](boost::system::error_code e) {
    if (e)
      return;
    timed_out = true;
    boost::system::error_code ignored;
    socket.close(ignored);
  });

  if (!ep.unix_path.empty()) {
    asio::local::stream_protocol::endpoint local(ep.unix_path);
    co_await socket.async_connect(asio::generic::stream_protocol::endpoint(local),
                                  asio::redirect_error(asio::use_awaitable, ec));
  } else {
    asio::ip::tcp::resolver resolver(strand_);
    auto results = co_await resolver.async_resolve(ep.host, std::to_string(ep.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      ec = asio::error::host_not_found;
      for (const auto& entry : results) {
        if (timed_out)
          break;
        boost::system::error_code ignored;
        socket.close(ignored);
        ec = {};
        co_await socket.async_connect(asio::generic::stream_protocol::endpoint(entry.endpoint()),
                                      asio::redirect_error(asio::use_awaitable, ec));
        if (!ec)
          break;
      }
      if (!ec) {
        boost::system::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      }
    }
  }
  connect_deadline.cancel();
  // The timer's handler refers to locals: let it run (cancelled) first.
  co_await asio::post(strand_, asio::use_awaitable);
  if (timed_out)
    ec = asio::error::timed_out;
  if (ec || closed_) {
    const std::string where =
        ep.unix_path.empty() ? ep.host + ":" + std::to_string(ep.port) : ep.unix_path;
    co_return std::unexpected(to_store_error(
        failure_kind::not_connected,
        "connect to " + where + ": " + (closed_ ? std::string("closed") : ec.message())));
  }

  ++generation_;
  socket_.emplace(std::move(socket));
  decoder_ = std::make_unique<resp_decoder>();
  state_ = state::handshaking;
  start_read();
  co_return co_await handshake();
}

asio::awaitable<store_result<void>> redis_connection::handshake() {
  const auto& ep = endpoint_;
  std::vector<command> cmds;
  if (!ep.password.empty())
    cmds.push_back({"AUTH", ep.password});
  if (ep.db != 0)
    cmds.push_back({"SELECT", std::to_string(ep.db)});
  for (const auto& script : config_.scripts)
    cmds.push_back({"SCRIPT", "LOAD", script});
  cmds.push_back({"PING"});
  if (config_.require_primary)
    cmds.push_back({"ROLE"});
  auto result = co_await submit(std::move(cmds), config_.handshake_timeout, true);
  if (!result)
    co_return std::unexpected(std::move(result.error()));
  for (auto& reply : *result) {
    if (const auto* error = reply.error()) {
      co_return std::unexpected(to_store_error(failure_kind::error_reply, error->message));
    }
  }
  if (config_.require_primary) {
    // Sentinel may name a server that is not (or no longer) the primary,
    // e.g. before it noticed a failover: never write to a replica.
    const auto* role = result->back().array();
    const auto* name = role && !role->empty() ? role->front().string() : nullptr;
    if (!name || *name != "master") {
      co_return std::unexpected(
          to_store_error(failure_kind::not_connected, ep.host + ":" + std::to_string(ep.port) +
                                                          " is not the primary (ROLE " +
                                                          (name ? *name : std::string("?")) + ")"));
    }
  }
  co_return store_result<void>{};
}

}  // namespace banlist::service
