// redis_dump: every key of a test Redis with its type and contents as text,
// for tests that prove a refused request changed nothing, or that no key
// secret or raw identifier is stored. Reads with SCAN and one type-specific
// read per key (never DUMP, whose encoding may compress the text).
// Each call opens its own connection; safe to call from any one thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace banlist::test {

// key -> its type ("string", "hash", ...) followed by its contents: a
// string's value; a hash's "field=value" pairs, sorted; a set's members,
// sorted; a sorted set's "member score" pairs in order; a list's items; a
// stream's entries as "id field=value ...". Throws std::runtime_error when
// Redis cannot be read.
using redis_contents = std::map<std::string, std::vector<std::string>>;
redis_contents redis_dump(const service::redis_endpoint& endpoint);

// The dump without the keys `skip` returns true for (e.g. the audit stream).
redis_contents without(redis_contents dump, bool (*skip)(const std::string& key));

}  // namespace banlist::test
