// What the reliability tests send: e-mail bans (the fingerprint a ban of an
// address gets, under the test seed, and its request body) and keys issued
// through the admin API of a running instance.
#pragma once

#include <cstdint>
#include <string>

#include "banlist/bloom/fingerprint.hpp"

namespace banlist::test {

// The fingerprint of the e-mail identifier `email` under kTestSeed.
fingerprint email_fp(const std::string& email);
// POST /v1/bans body banning `email` for phishing.
std::string ban_body(const std::string& email);
// Issues a key with `role` through the instance on `port`; returns the secret.
std::string issue_key(std::uint16_t port, const std::string& role);

}  // namespace banlist::test
