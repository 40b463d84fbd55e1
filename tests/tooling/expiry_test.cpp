// Ban expiry (issue 7): a ban with expires_at is lifted when it passes, as a
// normal lift delta (reason expired, actor system), exactly once — also with
// two instances sweeping one Redis — and not at all when it was lifted or
// re-banned before.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "config.hpp"
#include "final_state.hpp"
#include "json.hpp"
#include "record_layout.hpp"
#include "redis_peek.hpp"
#include "service_fixture.hpp"
#include "time_text.hpp"

namespace banlist::test {
namespace {

using namespace std::chrono_literals;
namespace http = boost::beast::http;

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Bans `email` expiring at `expires_at` (a JSON value: number or string).
std::string ban(http_client& c, const std::string& key, const std::string& email,
                const std::string& expires_at) {
  std::string body = R"({"type":"email","value":")" + email + R"(","reason":"spam")";
  if (!expires_at.empty())
    body += R"(,"expires_at":)" + expires_at;
  body += "}";
  auto r = c.post("/v1/bans", key, body);
  if (r.status != 201)
    throw std::runtime_error("ban: " + r.body);
  return json_string(r, "/fp");
}

std::string status_of(http_client& c, const std::string& fp) {
  return json_string(c.get("/v1/bans/" + fp, kAdminKey), "/status");
}

// Waits until `done` or `limit` passes; returns whether it became true.
template <class F>
bool wait_for(F done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// Log entries of one fingerprint.
std::vector<service::change> changes_of(const std::vector<service::change>& log,
                                        const std::string& fp) {
  std::vector<service::change> out;
  for (const auto& c : log) {
    if (c.fp.to_hex() == fp)
      out.push_back(c);
  }
  return out;
}

}  // namespace

TEST_CASE("RFC 3339 and unix-second times parse, bad ones do not", "[tooling][expiry]") {
  using service::parse_rfc3339_seconds;
  using service::parse_time_seconds;
  CHECK(parse_rfc3339_seconds("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339_seconds("2026-05-01T12:00:00Z") == 1777636800);
  CHECK(parse_rfc3339_seconds("2026-05-01T12:00:00.999Z") == 1777636800);
  CHECK(parse_rfc3339_seconds("2026-05-01T14:30:00+02:30") == 1777636800);
  CHECK(parse_rfc3339_seconds("2026-05-01T09:00:00-03:00") == 1777636800);
  CHECK(parse_rfc3339_seconds("2024-02-29T00:00:00z") == 1709164800);
  CHECK(parse_time_seconds("1777636800") == 1777636800);
  for (const char* bad : {"", "2026-05-01", "2026-05-01T12:00:00", "2026-02-30T00:00:00Z",
                          "2026-13-01T00:00:00Z", "2026-05-01T24:00:00Z", "2026-05-01T12:00:00.Z",
                          "2026-05-01T12:00:00+2:00", "2026-05-01T12:00:00Zjunk", "-5", "12x"}) {
    INFO(bad);
    CHECK_FALSE(parse_time_seconds(bad).has_value());
  }
}

TEST_CASE("expiry interval flag: default 1000 ms, refused outside 10..3600000",
          "[tooling][expiry]") {
  auto no_env = [](const char*) -> const char* { return nullptr; };
  auto plain = service::parse_config({"banlistd"}, no_env);
  REQUIRE(plain);
  CHECK(plain->config.expiry_interval == 1000ms);
  auto set = service::parse_config({"banlistd", "--expiry-interval-ms", "250"}, no_env);
  REQUIRE(set);
  CHECK(set->config.expiry_interval == 250ms);
  CHECK_FALSE(service::parse_config({"banlistd", "--expiry-interval-ms", "5"}, no_env));
  CHECK_FALSE(service::parse_config({"banlistd", "--expiry-interval-ms", "3600001"}, no_env));
}

TEST_CASE("an expiring ban is lifted on time as a normal lift delta", "[tooling][expiry][redis]") {
  constexpr auto kInterval = 100ms;
  service_fixture f([&](service::service_config& c) { c.expiry_interval = kInterval; });
  const std::string mod = f.issue_key("moderator");
  const std::string partner = f.issue_key("partner");
  auto c = f.client();
  const std::int64_t expires = unix_now_ms() / 1000 + 2;
  const std::string fp = ban(c, mod, "soon@example.com", std::to_string(expires));
  // RFC 3339 is accepted too, and stored as unix seconds.
  const std::string text = service::format_time_ms(expires * 1000);
  const std::string fp2 = ban(c, mod, "soon2@example.com", "\"" + text + "\"");
  auto rec2 = c.get("/v1/bans/" + fp2, mod);
  std::int64_t stored = 0;
  REQUIRE_FALSE(rec2.json()["expires_at"].get(stored));
  CHECK(stored == expires);
  CHECK(redis_int(f.redis().endpoint(), {"ZCARD", "bl:expiry"}) == 2);
  // A past expiry is refused.
  auto past = c.post("/v1/bans", mod,
                     R"({"type":"email","value":"p@example.com","reason":"spam","expires_at":")" +
                         service::format_time_ms(unix_now_ms() - 1000) + "\"}");
  CHECK(past.status == 400);

  REQUIRE(status_of(c, fp) == "banned");
  REQUIRE(
      wait_for([&] { return status_of(c, fp) == "lifted" && status_of(c, fp2) == "lifted"; }, 10s));
  auto record = c.get("/v1/bans/" + fp, mod);
  CHECK(json_string(record, "/lift_reason") == "expired");
  CHECK(json_string(record, "/lifted_by") == "system");
  // Lifted at its time: not before expires_at (Redis's clock), and within
  // one sweep interval plus slack after it.
  std::int64_t lifted_ms = 0;
  {
    auto raw = redis_cmd(f.redis().endpoint(), record_value_command(fp, "lifted_at"));
    REQUIRE(raw.string());
    lifted_ms = service::parse_i64(*raw.string()).value_or(0);
  }
  CHECK(lifted_ms >= expires * 1000);
  CHECK(lifted_ms <= expires * 1000 + kInterval.count() + 1000);

  // A normal lift delta: seq, log entry with its digest, audit, check.
  const auto log = change_log(f.redis().endpoint());
  REQUIRE(log.size() == 4);
  CHECK(log[2].op == service::change_op::lift);
  CHECK(log[3].op == service::change_op::lift);
  CHECK(log[2].reason == "expired");
  CHECK(std::set<std::string>{log[2].fp.to_hex(), log[3].fp.to_hex()} ==
        std::set<std::string>{fp, fp2});
  CHECK(log[3].digest == fingerprint{});  // both out again: the empty set's digest
  CHECK(redis_int(f.redis().endpoint(), {"ZCARD", "bl:expiry"}) == 0);
  auto audit = c.get("/v1/audit?limit=2", kAdminKey);
  CHECK(json_string(audit, "/entries/0/action") == "lift");
  CHECK(json_string(audit, "/entries/0/key_id") == "system");
  REQUIRE(wait_for(
      [&] {
        return !json_bool(c.get("/v1/check?type=email&value=soon%40example.com", partner),
                          "/banned", true);
      },
      5s));
}

TEST_CASE("a ban lifted or re-banned before it expires is not lifted again",
          "[tooling][expiry][redis]") {
  service_fixture f([](service::service_config& c) { c.expiry_interval = 50ms; });
  const std::string mod = f.issue_key("moderator");
  auto c = f.client();
  const std::int64_t now_s = unix_now_ms() / 1000;
  const std::string soon = std::to_string(now_s + 2);
  // lifted: lifted by hand before; plain: re-banned without an expiry;
  // later: re-banned with a later expiry; control: left alone.
  const std::string lifted = ban(c, mod, "lifted@example.com", soon);
  const std::string plain = ban(c, mod, "plain@example.com", soon);
  const std::string later = ban(c, mod, "later@example.com", soon);
  const std::string control = ban(c, mod, "control@example.com", soon);
  for (const auto& fp : {lifted, plain, later})
    REQUIRE(c.del("/v1/bans/" + fp + "?reason=mistake", mod).status == 200);
  ban(c, mod, "plain@example.com", "");
  ban(c, mod, "later@example.com", std::to_string(now_s + 600));

  REQUIRE(wait_for([&] { return status_of(c, control) == "lifted"; }, 10s));
  std::this_thread::sleep_for(500ms);  // several more sweeps
  CHECK(status_of(c, lifted) == "lifted");
  CHECK(status_of(c, plain) == "banned");
  CHECK(status_of(c, later) == "banned");
  const auto log = change_log(f.redis().endpoint());
  auto ops = [&](const std::string& fp) {
    std::string out;
    for (const auto& ch : changes_of(log, fp))
      out += (ch.op == service::change_op::ban ? "ban " : "lift:") +
             (ch.op == service::change_op::ban ? std::string() : ch.reason + " ");
    return out;
  };
  CHECK(ops(lifted) == "ban lift:mistake ");
  CHECK(ops(plain) == "ban lift:mistake ban ");
  CHECK(ops(later) == "ban lift:mistake ban ");
  CHECK(ops(control) == "ban lift:expired ");
  // Only the later one is still waiting, at its new time.
  auto index = redis_cmd(f.redis().endpoint(), {"ZRANGE", "bl:expiry", "0", "-1", "WITHSCORES"});
  REQUIRE(index.array());
  REQUIRE(index.array()->size() == 2);
  CHECK(*(*index.array())[0].string() == later);
  CHECK(*(*index.array())[1].string() == std::to_string(now_s + 600));
}

TEST_CASE("two instances lift 500 bans expiring at once exactly once each",
          "[tooling][expiry][redis][multi]") {
  service_fixture a([](service::service_config& c) { c.expiry_interval = 20ms; });
  service::service_config config_b = a.config();
  config_b.listen_port = 0;
  config_b.instance_name = "instance-b";
  auto started = service::server::start(config_b, {});
  REQUIRE(started);
  std::unique_ptr<service::server> b = std::move(*started);
  REQUIRE(b->wait_ready(20s));
  const std::string mod = a.issue_key("moderator");

  constexpr int kBans = 500;
  const std::int64_t expires = unix_now_ms() / 1000 + 3;
  std::string body;
  for (int i = 0; i < kBans; ++i) {
    body += R"({"type":"email","value":"mass)" + std::to_string(i) +
            R"(@example.com","reason":"spam","expires_at":)" + std::to_string(expires) + "}\n";
  }
  auto c = a.client();
  auto imported = c.request(http::verb::post, "/v1/bans/import?confirm=true", mod, body,
                            {{"Content-Type", "application/x-ndjson"}});
  REQUIRE(imported.status == 200);
  REQUIRE(imported.body.find(R"("created":500)") != std::string::npos);
  REQUIRE(unix_now_ms() < expires * 1000);  // all in before the first could expire
  REQUIRE(redis_int(a.redis().endpoint(), {"ZCARD", "bl:expiry"}) == kBans);

  REQUIRE(wait_for(
      [&] {
        // The banned count and the listing order (the banned set) empty.
        return redis_int(a.redis().endpoint(), {"GET", "bl:bans:count"}) == 0 &&
               redis_int(a.redis().endpoint(),
                         {"EXISTS", "bl:bans:0", "bl:bans:1", "bl:bans:2", "bl:bans:3"}) == 0;
      },
      20s));
  std::this_thread::sleep_for(300ms);  // both instances sweep again: nothing more may happen

  const auto log = change_log(a.redis().endpoint());
  REQUIRE(log.size() == 2 * kBans);
  std::map<std::string, int> lifts;
  for (std::size_t i = kBans; i < log.size(); ++i) {
    CHECK(log[i].op == service::change_op::lift);
    CHECK(log[i].reason == "expired");
    CHECK(log[i].at_ms >= expires * 1000);
    ++lifts[log[i].fp.to_hex()];
  }
  CHECK(lifts.size() == kBans);
  for (int i = 0; i < kBans; ++i) {
    const std::string fp =
        fp_of(sdk::identifier_type::email, "mass" + std::to_string(i) + "@example.com");
    INFO(fp);
    CHECK(lifts[fp] == 1);
  }
  // Seq, log, digest and banned set agree (the reliability suite's checker).
  const auto view = redis_state(a.redis().endpoint());
  CHECK(view.problems.empty());
  CHECK(view.head == 2 * kBans);
  CHECK(view.banned.empty());
  CHECK(view.digests.back() == fingerprint{});
  CHECK(redis_int(a.redis().endpoint(), {"ZCARD", "bl:expiry"}) == 0);

  b->stop();
  (void)b->wait();
}

}  // namespace banlist::test
