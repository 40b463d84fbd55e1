#include "service_fixture.hpp"

#include <stdexcept>

#include "banlist/sdk/identifier.hpp"

namespace banlist::test {

service_fixture::service_fixture(std::function<void(service::service_config&)> tweak,
                                 bool wait_until_ready) {
  config_.listen_host = "127.0.0.1";
  config_.listen_port = 0;
  config_.redis_url = redis_.url();
  config_.threads = 2;
  config_.seed = kTestSeed;
  config_.filter_capacity = 1000;
  config_.admin_key = kAdminKey;
  config_.shutdown_timeout = std::chrono::seconds(10);
  if (tweak)
    tweak(config_);
  start_server(wait_until_ready);
}

service_fixture::~service_fixture() {
  stop_server();
}

void service_fixture::start_server(bool wait_until_ready) {
  auto started = service::server::start(config_, {});
  if (!started)
    throw std::runtime_error("server start: " + started.error());
  server_ = std::move(*started);
  if (wait_until_ready && !server_->wait_ready(std::chrono::seconds(20))) {
    throw std::runtime_error("server did not become ready");
  }
}

void service_fixture::stop_server() {
  if (!server_)
    return;
  server_->stop();
  (void)server_->wait();
  server_.reset();
}

std::uint64_t service_fixture::banned_scans() {
  const auto store = server().state().current_store();
  if (!store)
    throw std::runtime_error("banned_scans: banlistd has no store yet");
  return store->banned_scans();
}

std::string service_fixture::issue_key(const std::string& role, std::string* id) {
  auto c = client();
  auto reply =
      c.post("/v1/keys", kAdminKey, R"({"role":")" + role + R"(","name":"test )" + role + R"("})");
  if (reply.status != 201)
    throw std::runtime_error("issue_key: " + reply.body);
  if (id)
    *id = json_string(reply, "/id");
  return json_string(reply, "/key");
}

std::string fp_of(sdk::identifier_type type, const std::string& value) {
  auto normalized = sdk::normalize(type, value);
  if (!normalized)
    throw std::runtime_error("fp_of: " + normalized.error().message);
  return sdk::fingerprint_of(type, *normalized, kTestSeed).to_hex();
}

bool json_bool(const http_reply& reply, const char* pointer, bool fallback) {
  bool v = fallback;
  if (reply.json().at_pointer(pointer).get(v))
    return fallback;
  return v;
}

std::string json_string(const http_reply& reply, const char* pointer) {
  std::string_view text;
  if (reply.json().at_pointer(pointer).get(text))
    return {};
  return std::string(text);
}

}  // namespace banlist::test
