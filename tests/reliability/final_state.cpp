#include "final_state.hpp"

#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>

#include <boost/asio/use_awaitable.hpp>

#include "banlist/sdk/delta_binary.hpp"
#include "banlist/sdk/replica_set.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "banned_layout.hpp"
#include "http_client.hpp"
#include "record_layout.hpp"
#include "run_async.hpp"
#include "store/record_codec.hpp"
#include "store/redis_connection.hpp"

namespace banlist::test {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Variadic rather than a braced list: g++ 12 miscompiles braced lists inside
// co_await expressions (docs/decisions.md).
template <class... Args>
asio::awaitable<service::store_result<service::redis_value>> raw(
    std::shared_ptr<service::redis_connection> c, Args... args) {
  return c->execute(std::vector<std::string>{std::string(args)...}, 10s);
}

std::span<const std::uint8_t> bytes_of(const std::string& body) {
  return {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()};
}

}  // namespace

redis_view redis_state(const service::redis_endpoint& endpoint) {
  return run_async([&](auto executor) -> asio::awaitable<redis_view> {
    redis_view view;
    auto problem = [&view](std::string text) { view.problems.push_back(std::move(text)); };
    service::redis_connection::config cfg;
    cfg.endpoint = endpoint;
    auto c = service::redis_connection::create(executor, cfg);
    auto ready = co_await c->wait_connected(10s);
    if (!ready)
      throw std::runtime_error("redis_state: cannot connect: " + ready.error().message);

    auto seq = co_await raw(c, "GET", "bl:seq");
    if (!seq)
      throw std::runtime_error("redis_state: GET bl:seq: " + seq.error().message);
    view.head = seq->string() ? service::parse_u64(*seq->string()).value_or(0) : 0;

    // Replay the log: one entry per seq 1..head, every 16th carrying the
    // digest after it (every one, written before layout 8); a ban adds an
    // absent fingerprint, a lift removes a present one.
    auto log = co_await raw(c, "XRANGE", "bl:log", "-", "+");
    if (!log || !log->array())
      throw std::runtime_error("redis_state: XRANGE bl:log failed");
    std::set<fingerprint> replayed;
    std::map<fingerprint, std::uint64_t> last_ban_seq;
    fingerprint running;
    std::uint64_t expected = 1;
    for (const auto& entry : *log->array()) {
      auto ch = service::decode_change(entry);
      if (!ch) {
        problem("undecodable log entry after seq " + std::to_string(expected - 1));
        break;
      }
      if (ch->seq != expected)
        problem("log seq " + std::to_string(ch->seq) + " where " + std::to_string(expected) +
                " was expected");
      expected = ch->seq + 1;
      running.high ^= ch->fp.high;
      running.low ^= ch->fp.low;
      if (ch->has_digest && ch->digest != running)
        problem("log digest wrong at seq " + std::to_string(ch->seq));
      if (!ch->has_digest && ch->seq % 16 == 0)
        problem("log entry at seq " + std::to_string(ch->seq) + " lacks its digest");
      view.digests.push_back(running);
      if (ch->op == service::change_op::ban) {
        if (!replayed.insert(ch->fp).second)
          problem("ban of a banned fingerprint in the log at seq " + std::to_string(ch->seq));
        last_ban_seq[ch->fp] = ch->seq;
      } else if (replayed.erase(ch->fp) == 0) {
        problem("lift of an unbanned fingerprint in the log at seq " + std::to_string(ch->seq));
      }
    }
    if (expected - 1 != view.head)
      problem("bl:seq is " + std::to_string(view.head) + " but the log ends at " +
              std::to_string(expected - 1));

    auto members = co_await raw(c, "EVAL", kAllBannedScript, "0", "bl:bans");
    if (members && members->error())
      problem("the banned set: " + members->error()->message);
    else if (!members || !members->array())
      throw std::runtime_error("redis_state: reading the banned set failed");
    fingerprint xor_of_set;
    const service::redis_array none;
    for (const auto& m : members->array() ? *members->array() : none) {
      auto fp = m.string() ? fingerprint::from_hex(*m.string()) : std::nullopt;
      if (!fp) {
        problem("the banned set holds a malformed member");
        continue;
      }
      view.banned.insert(*fp);
      xor_of_set.high ^= fp->high;
      xor_of_set.low ^= fp->low;
    }
    if (view.banned != replayed)
      problem("the banned set (" + std::to_string(view.banned.size()) +
              ") differs from the log's replay (" + std::to_string(replayed.size()) + ")");
    auto digest = co_await raw(c, "GET", "bl:digest");
    const std::string stored = digest && digest->string() ? *digest->string() : "";
    if (!(view.banned.empty() && stored.empty()) && stored != xor_of_set.to_hex())
      problem("bl:digest does not match the banned set");

    for (const auto& fp : view.banned) {
      auto status = co_await c->execute(record_value_command(fp.to_hex(), "status"), 10s);
      auto seq = co_await c->execute(record_value_command(fp.to_hex(), "seq"), 10s);
      if (!status || !seq || !status->string() || !seq->string()) {
        problem("banned " + fp.to_hex() + " has no record");
        continue;
      }
      if (*status->string() != "banned")
        problem("banned " + fp.to_hex() + " has record status " + *status->string());
      if (service::parse_u64(*seq->string()) != last_ban_seq[fp])
        problem("record seq of " + fp.to_hex() + " is not its last ban's");
    }
    c->close();
    co_return view;
  });
}

check_view checked_state(std::uint16_t port, const std::string& key,
                         const std::vector<fingerprint>& fps) {
  check_view view;
  http_client client(port);
  for (std::size_t at = 0; at < fps.size(); at += 10000) {
    std::string body = R"({"items":[)";
    const std::size_t end = std::min(fps.size(), at + 10000);
    for (std::size_t i = at; i < end; ++i)
      body += (i > at ? R"(,{"fp":")" : R"({"fp":")") + fps[i].to_hex() + "\"}";
    body += "]}";
    auto reply = client.post("/v1/check", key, body);
    if (reply.status != 200)
      throw std::runtime_error("checked_state: POST /v1/check: " + std::to_string(reply.status));
    auto results = reply.json()["results"].get_array();
    if (results.error())
      throw std::runtime_error("checked_state: no results");
    std::size_t i = at;
    for (auto item : results.value()) {
      const bool banned = item["banned"].get_bool().value_unsafe();
      bool confirmed = true;
      if (auto c = item["confirmed"].get_bool(); !c.error())
        confirmed = c.value_unsafe();
      if (banned && confirmed)
        view.banned.insert(fps[i]);
      if (banned && !confirmed)
        ++view.unconfirmed;
      ++i;
    }
  }
  return view;
}

replica_view replica_state(std::uint16_t port, const std::string& key, std::uint64_t at_least) {
  http_client client(port);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  std::optional<sdk::replica_set> replica;
  while (!replica) {
    auto r = client.get("/v1/snapshot?format=fps", key);
    if (r.status == 200) {
      auto snap = sdk::decode_snapshot(bytes_of(r.body));
      if (!snap)
        throw std::runtime_error("replica_state: snapshot: " + snap.error().message());
      auto built = sdk::replica_set::from_snapshot(*snap);
      if (!built)
        throw std::runtime_error("replica_state: from_snapshot: " + built.error().message());
      replica.emplace(std::move(*built));
    } else if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("replica_state: no snapshot (" + std::to_string(r.status) + ")");
    } else {
      std::this_thread::sleep_for(50ms);
    }
  }
  const std::map<std::string, std::string> binary{
      {"Accept", std::string(sdk::kDeltaBinaryMediaType)}};
  while (true) {
    auto r = client.request(boost::beast::http::verb::get,
                            "/v1/deltas?limit=10000&since=" + std::to_string(replica->seq()), key,
                            "", binary);
    if (r.status != 200)
      throw std::runtime_error("replica_state: deltas: " + std::to_string(r.status) + " " + r.body);
    auto batch = sdk::decode_delta_binary(bytes_of(r.body));
    if (!batch)
      throw std::runtime_error("replica_state: delta decode: " + batch.error().message());
    auto applied = replica->apply(*batch);
    if (!applied)
      throw std::runtime_error("replica_state: apply: " + applied.error().message());
    if (!batch->more && replica->seq() >= at_least)
      break;
    if (!batch->more) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("replica_state: never reached seq " + std::to_string(at_least));
      std::this_thread::sleep_for(20ms);
    }
  }
  replica_view view;
  view.seq = replica->seq();
  for (const auto& e : replica->sorted_entries())
    view.banned.insert(e.fp);
  return view;
}

}  // namespace banlist::test
