// The Lua scripts that perform every mutation (scripts/*.lua), embedded at
// build time. Constant data; thread-safe.
#pragma once

#include <string_view>

namespace banlist::service::scripts {

extern const std::string_view ban;
extern const std::string_view lift;
extern const std::string_view key_create;
extern const std::string_view key_revoke;
extern const std::string_view init_list;
extern const std::string_view trim_log;
extern const std::string_view public_page;
extern const std::string_view bulletin_put;
extern const std::string_view bulletin_withdraw;
// Layout 2 -> 3: the listing order's sorted set into its buckets (run at
// every start by init_list).
extern const std::string_view migrate_order;
// Layout 7 -> 8: every listing order value carries the fp's raw bytes and
// codes, so the order can replace the bl:banned buckets.
extern const std::string_view migrate_order_codes;
// Layout 3 -> 4: record hashes into packed records in buckets.
extern const std::string_view migrate_records;
// Layout 4 -> 5: the notice board indexes become a count.
extern const std::string_view migrate_public;
// Issue 7: partner reports and expiry. `expire` is expire_guard.lua + lift.lua;
// `report_accept` wraps ban.lua in a function and calls it.
extern const std::string_view expire;
extern const std::string_view report_file;
extern const std::string_view report_reject;
extern const std::string_view report_accept;

}  // namespace banlist::service::scripts
