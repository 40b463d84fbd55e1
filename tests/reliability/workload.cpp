#include "workload.hpp"

#include <stdexcept>

#include "banlist/sdk/identifier.hpp"
#include "service_fixture.hpp"

namespace banlist::test {

fingerprint email_fp(const std::string& email) {
  return *fingerprint::from_hex(fp_of(sdk::identifier_type::email, email));
}

std::string ban_body(const std::string& email) {
  return R"({"type":"email","value":")" + email + R"(","reason":"phishing"})";
}

std::string issue_key(std::uint16_t port, const std::string& role) {
  http_client c(port);
  auto reply = c.post("/v1/keys", kAdminKey, R"({"role":")" + role + R"(","name":"test"})");
  if (reply.status != 201)
    throw std::runtime_error("issue_key: " + reply.body);
  return json_string(reply, "/key");
}

}  // namespace banlist::test
