// redis_store, issue 7 part: pipelined bans for bulk import, list counts and
// free-form audit entries (see store.hpp for the contracts).
#include <algorithm>
#include <span>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include <boost/asio/use_awaitable.hpp>

#include "store/record_codec.hpp"
#include "store/redis_store.hpp"
#include "store/resp.hpp"

namespace banlist::service {
namespace asio = boost::asio;

asio::awaitable<store_result<std::vector<store_result<redis_value>>>> redis_store::run_script_many(
    script_id id, std::vector<script_call> calls) {
  const auto& s = scripts_[static_cast<std::size_t>(id)];
  std::vector<redis_connection::command> cmds;
  cmds.reserve(calls.size() + 1);
  for (const auto& [keys, args] : calls) {
    redis_connection::command cmd;
    cmd.reserve(3 + keys.size() + args.size());
    cmd.push_back("EVALSHA");
    cmd.push_back(s.sha1);
    cmd.push_back(std::to_string(keys.size()));
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    cmds.push_back(std::move(cmd));
  }
  // With --replica-acks, one WAIT after the batch covers every run in it
  // (WAIT counts the replication offset, which includes all of them).
  const bool wait_for_replicas = options_.replica_acks > 0;
  if (wait_for_replicas) {
    cmds.push_back({"WAIT", std::to_string(options_.replica_acks),
                    std::to_string(options_.replica_ack_timeout.count())});
  }
  auto replies = co_await commands_->execute_pipeline(
      std::move(cmds), options_.command_timeout + options_.replica_ack_timeout);
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  std::optional<store_error> shortfall;
  if (wait_for_replicas) {
    const auto* acks = replies->back().integer();
    if (!acks || *acks < static_cast<std::int64_t>(options_.replica_acks)) {
      shortfall = store_error{store_errc::outcome_unknown,
                              "applied on the primary but not acknowledged by " +
                                  std::to_string(options_.replica_acks) + " replicas"};
    }
  }
  std::vector<store_result<redis_value>> out;
  out.reserve(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    redis_value& reply = (*replies)[i];
    if (const auto* error = reply.error(); error && error->message.starts_with("NOSCRIPT")) {
      // The script cache was lost: nothing ran for this call; run_script
      // sends the body (EVAL) and caches it again.
      out.push_back(co_await run_script(id, calls[i].first, calls[i].second));
      continue;
    }
    auto checked = reject_error_reply(std::move(reply));
    if (checked && shortfall) {
      out.push_back(std::unexpected(*shortfall));  // not known to survive a failover
      continue;
    }
    out.push_back(std::move(checked));
  }
  co_return out;
}

asio::awaitable<store_result<std::vector<store_result<ban_outcome>>>> redis_store::ban_many_impl(
    std::vector<ban_record> proposed, actor who) {
  // One ban.lua run per chunk: the script's fixed cost, the digest update
  // and the audit entry are paid per chunk, not per ban. Chunks are capped so
  // one script does not hold Redis (single-threaded) for long: 256 bans take
  // a few milliseconds.
  constexpr std::size_t kBansPerScript = 256;
  const std::span<const ban_record> all(proposed);
  std::vector<std::span<const ban_record>> chunks;
  std::vector<script_call> calls;
  for (std::size_t at = 0; at < all.size(); at += kBansPerScript) {
    chunks.push_back(all.subspan(at, std::min(kBansPerScript, all.size() - at)));
    calls.emplace_back(ban_keys(), ban_args(chunks.back(), who, "batch"));
  }
  auto replies = co_await run_script_many(script_id::ban, std::move(calls));
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  std::vector<store_result<ban_outcome>> out;
  out.reserve(proposed.size());
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    store_result<std::vector<store_result<ban_outcome>>> outcomes = std::unexpected(store_error{});
    if ((*replies)[c])
      outcomes = decode_ban_reply(chunks[c], who, *(*replies)[c]);
    else
      outcomes = std::unexpected((*replies)[c].error());
    for (std::size_t i = 0; i < chunks[c].size(); ++i) {
      if (outcomes)
        out.push_back(std::move((*outcomes)[i]));
      else
        out.push_back(std::unexpected(outcomes.error()));
    }
  }
  co_return out;
}

asio::awaitable<store_result<std::vector<store_result<lift_outcome>>>> redis_store::lift_many_impl(
    std::vector<lift_request> requests, actor who) {
  std::vector<script_call> calls;
  calls.reserve(requests.size());
  for (const auto& request : requests)
    calls.emplace_back(lift_keys(request.fp), lift_args(request, who));
  auto replies = co_await run_script_many(script_id::lift, std::move(calls));
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  std::vector<store_result<lift_outcome>> out;
  out.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto& reply = (*replies)[i];
    if (!reply) {
      out.push_back(std::unexpected(std::move(reply.error())));
    } else {
      out.push_back(decode_lift_reply(requests[i].fp, *reply));
    }
  }
  co_return out;
}

asio::awaitable<store_result<list_counts>> redis_store::counts_impl() {
  // The scripts keep both counts.
  std::vector<redis_connection::command> cmds{{"GET", key("bans:count")},
                                              {"GET", key("public:count")}};
  auto replies = co_await commands_->execute_pipeline(std::move(cmds), options_.command_timeout);
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  auto count = [](const redis_value& reply) -> std::optional<std::uint64_t> {
    if (const auto* text = reply.string())
      return parse_u64(*text);
    if (reply.is_nil())
      return 0;  // nothing counted yet
    return std::nullopt;
  };
  const auto banned = count((*replies)[0]);
  const auto is_public = count((*replies)[1]);
  if (!banned || !is_public)
    co_return std::unexpected(to_store_error(failure_kind::unexpected_reply, "counts"));
  co_return list_counts{*banned, *is_public};
}

asio::awaitable<store_result<void>> redis_store::record_audit_impl(std::string action,
                                                                   std::string target,
                                                                   std::string detail, actor who) {
  // The packed entry the scripts write (audit.lua); its time is the id's.
  std::vector<std::string> cmd{
      "XADD",
      key("audit"),
      "MAXLEN",
      "~",
      "1000000",
      "*",
      "a",
      encode_audit_entry(action, who.key_id, who.address, who.request_id, target, detail)};
  auto reply = co_await command(std::move(cmd));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  co_return store_result<void>{};
}

}  // namespace banlist::service
