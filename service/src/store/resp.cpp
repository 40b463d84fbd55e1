#include "store/resp.hpp"

#include <cstdlib>

#include <hiredis/hiredis.h>

namespace banlist::service {
namespace {

redis_value copy_reply(const redisReply* reply) {
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      return {std::string(reply->str, reply->len)};
    case REDIS_REPLY_STATUS:
      return {redis_status{std::string(reply->str, reply->len)}};
    case REDIS_REPLY_ERROR:
      return {redis_error_reply{std::string(reply->str, reply->len)}};
    case REDIS_REPLY_INTEGER:
      return {static_cast<std::int64_t>(reply->integer)};
    case REDIS_REPLY_ARRAY: {
      redis_array items;
      items.reserve(reply->elements);
      for (std::size_t i = 0; i < reply->elements; ++i) {
        items.push_back(copy_reply(reply->element[i]));
      }
      return {std::move(items)};
    }
    default:
      return {redis_nil{}};
  }
}

}  // namespace

void encode_command(std::span<const std::string> args, std::string& out) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* command = nullptr;
  const int length =
      redisFormatCommandArgv(&command, static_cast<int>(args.size()), argv.data(), lengths.data());
  if (length < 0 || command == nullptr) {
    // Only an allocation failure gets here; there is no sensible recovery.
    std::abort();
  }
  out.append(command, static_cast<std::size_t>(length));
  redisFreeCommand(command);
}

resp_decoder::resp_decoder() : reader_(redisReaderCreate()) {
  if (reader_ == nullptr)
    std::abort();  // allocation failure
}

resp_decoder::~resp_decoder() {
  redisReaderFree(reader_);
}

bool resp_decoder::feed(std::string_view bytes) {
  if (failed())
    return false;
  if (redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK) {
    error_ = reader_->errstr[0] != '\0' ? reader_->errstr : "reader feed failed";
    return false;
  }
  return true;
}

std::optional<redis_value> resp_decoder::next() {
  if (failed())
    return std::nullopt;
  void* raw = nullptr;
  if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
    error_ = reader_->errstr[0] != '\0' ? reader_->errstr : "malformed reply";
    return std::nullopt;
  }
  if (raw == nullptr)
    return std::nullopt;
  auto* reply = static_cast<redisReply*>(raw);
  redis_value value = copy_reply(reply);
  freeReplyObject(reply);
  return value;
}

store_error to_store_error(failure_kind kind, std::string_view detail) {
  const std::string text(detail);
  switch (kind) {
    case failure_kind::not_connected:
      return {store_errc::unavailable, "redis not connected: " + text};
    case failure_kind::deadline:
      return {store_errc::outcome_unknown, "no reply before the deadline: " + text};
    case failure_kind::connection_lost:
      return {store_errc::outcome_unknown, "connection lost before the reply: " + text};
    case failure_kind::reader_error:
      return {store_errc::outcome_unknown, "undecodable reply stream: " + text};
    case failure_kind::error_reply:
      // Refusals that guarantee nothing ran: a replica (READONLY), a primary
      // without enough replicas (NOREPLICAS), a replica cut off from its
      // primary (MASTERDOWN), a server still loading (LOADING), a blocked
      // read released by a role change (UNBLOCKED). Retry later.
      for (std::string_view code :
           {"READONLY", "NOREPLICAS", "MASTERDOWN", "LOADING", "UNBLOCKED"}) {
        if (detail.starts_with(code))
          return {store_errc::unavailable, text};
      }
      return {store_errc::redis_error, text};
    case failure_kind::unexpected_reply:
      return {store_errc::protocol_error, "unexpected reply: " + text};
    case failure_kind::not_found:
      return {store_errc::not_found, text};
  }
  return {store_errc::protocol_error, text};
}

store_result<redis_value> reject_error_reply(redis_value value) {
  if (const auto* error = value.error()) {
    return std::unexpected(to_store_error(failure_kind::error_reply, error->message));
  }
  return value;
}

}  // namespace banlist::service
