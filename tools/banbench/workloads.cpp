#include "workloads.hpp"

#include <array>
#include <cstdio>
#include <string_view>
#include <vector>

#include "banlist/sdk/check_binary.hpp"

namespace banlist::banbench {
namespace {

namespace http = boost::beast::http;

// Every ban reason name in sdk/reason.hpp except `other`.
constexpr std::array<std::string_view, 14> kReasons = {
    "telecom_fraud",   "phishing",     "fake_shop", "loan_fraud",    "investment_fraud",
    "impersonation",   "romance_scam", "task_scam", "dispute_fraud", "money_mule",
    "account_trading", "gambling",     "malware",   "spam"};

// Notes a moderator would write, ~40 characters.
constexpr std::array<std::string_view, 4> kNotes = {
    "posed as courier refund agent, 3 victims", "fake investment app link sent via SMS   ",
    "asked for bank card code, police notified", "reported by 5 users for advance-fee loan"};

constexpr std::array<std::string_view, 4> kSources = {"complaint-platform", "partner-shop",
                                                      "partner-bank", "hotline"};

class check_maker final : public request_maker {
 public:
  check_maker(std::uint64_t seed, std::shared_ptr<const std::vector<std::string>> fps)
      : random_(seed), fps_(std::move(fps)) {
    if (fps_ && !fps_->empty())
      next_ = static_cast<std::size_t>(random_.next() % fps_->size());
  }
  void next(http_request& req) override {
    req.method(http::verb::get);
    std::string target = "/v1/check?fp=";
    if (fps_ && !fps_->empty()) {
      target += (*fps_)[next_];
      next_ = (next_ + 1) % fps_->size();
    } else {
      target += random_.fingerprint_hex();
    }
    req.target(target);
    req.body().clear();
  }

 private:
  random_source random_;
  std::shared_ptr<const std::vector<std::string>> fps_;
  std::size_t next_ = 0;
};

class batch_check_maker final : public request_maker {
 public:
  batch_check_maker(std::uint64_t seed, std::size_t items, bool binary)
      : items_(items), binary_(binary) {
    random_source random(seed);
    if (binary) {
      for (auto& body : bodies_) {
        std::vector<fingerprint> fps(items);
        for (auto& fp : fps)
          fp = {random.next(), random.next()};
        const auto bytes = sdk::encode_check_request(fps);
        body.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      }
      return;
    }
    for (auto& body : bodies_) {
      body.reserve(items * 44 + 16);
      body = R"({"items":[)";
      for (std::size_t i = 0; i < items; ++i) {
        if (i)
          body += ',';
        body += R"({"fp":")";
        body += random.fingerprint_hex();
        body += R"("})";
      }
      body += "]}";
    }
  }
  void next(http_request& req) override {
    req.method(http::verb::post);
    req.target("/v1/check");
    req.set(http::field::content_type,
            binary_ ? std::string(sdk::kCheckBinaryMediaType) : std::string("application/json"));
    req.body() = bodies_[next_];
    next_ = (next_ + 1) % bodies_.size();
  }
  std::uint64_t items_per_request() const override { return items_; }

 private:
  std::size_t items_;
  bool binary_;
  std::array<std::string, 4> bodies_;
  std::size_t next_ = 0;
};

void append_json_string(std::string& out, std::string_view text) {
  // Generated fields hold no quotes, backslashes or control characters.
  out += '"';
  out += text;
  out += '"';
}

class ban_maker final : public request_maker {
 public:
  ban_maker(std::uint64_t run_id, std::size_t connection, std::size_t stride)
      : run_id_(run_id), number_(connection), stride_(stride) {}
  void next(http_request& req) override {
    const generated_ban b = make_ban(run_id_, number_);
    number_ += stride_;
    std::string body = "{\"type\":";
    append_json_string(body, b.type);
    body += ",\"value\":";
    append_json_string(body, b.value);
    body += ",\"reason\":";
    append_json_string(body, b.reason);
    body += ",\"note\":";
    append_json_string(body, b.note);
    body += ",\"case_id\":";
    append_json_string(body, b.case_id);
    body += ",\"source\":";
    append_json_string(body, b.source);
    body += b.is_public ? ",\"public\":true}" : ",\"public\":false}";
    req.method(http::verb::post);
    req.target("/v1/bans");
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
  }

 private:
  std::uint64_t run_id_;
  std::uint64_t number_;
  std::size_t stride_;
};

}  // namespace

std::uint64_t random_source::next() noexcept {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string random_source::fingerprint_hex() {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(next()),
                static_cast<unsigned long long>(next()));
  return std::string(text, 32);
}

generated_ban make_ban(std::uint64_t run_id, std::uint64_t number) {
  generated_ban b;
  char text[96];
  // Two thirds phones, one third e-mail addresses, as in complaint data.
  // Phones are CN mobiles: run_id % 60 picks one of 60 blocks of 10^7
  // numbers (six prefixes x ten blocks of the 8-digit line), so one run
  // makes up to 10^7 unique phones and runs in different blocks never meet.
  const std::uint64_t mixed = number * 0x9e3779b97f4a7c15ULL + run_id;
  if (number % 3 != 2) {
    static constexpr std::array<int, 6> kPrefixes = {138, 139, 150, 186, 135, 159};
    const std::uint64_t block = run_id % 60;
    const std::uint64_t phone_index = number / 3 * 2 + number % 3;
    const int prefix = kPrefixes[block / 10];
    const std::uint64_t line = (block % 10) * 10000000ULL + phone_index % 10000000ULL;
    std::snprintf(text, sizeof text, "+86%d%08llu", prefix, static_cast<unsigned long long>(line));
    b.type = "phone";
  } else {
    std::snprintf(text, sizeof text, "user%llx.%llu@mail%llu.example.com",
                  static_cast<unsigned long long>(run_id), static_cast<unsigned long long>(number),
                  static_cast<unsigned long long>(mixed % 50));
    b.type = "email";
  }
  b.value = text;
  b.reason = kReasons[(mixed >> 8) % kReasons.size()];
  b.note = kNotes[(mixed >> 16) % kNotes.size()];
  std::snprintf(text, sizeof text, "C2024-%08llu", static_cast<unsigned long long>(number));
  b.case_id = text;
  b.source = kSources[(mixed >> 24) % kSources.size()];
  b.is_public = ((mixed >> 32) % 4) == 0;
  return b;
}

std::unique_ptr<request_maker> make_check_maker(
    std::uint64_t seed, std::shared_ptr<const std::vector<std::string>> fps) {
  return std::make_unique<check_maker>(seed, std::move(fps));
}

std::unique_ptr<request_maker> make_batch_check_maker(std::uint64_t seed, std::size_t items,
                                                      bool binary) {
  return std::make_unique<batch_check_maker>(seed, items, binary);
}

std::unique_ptr<request_maker> make_ban_maker(std::uint64_t run_id, std::size_t connection,
                                              std::size_t stride) {
  return std::make_unique<ban_maker>(run_id, connection, stride);
}

}  // namespace banlist::banbench
