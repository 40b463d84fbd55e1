// redis_store: the notice page and bulletin operations (docs/public.md,
// docs/redis-layout.md "Notice page and bulletins"). Kept apart from
// redis_store.cpp so the ban/key code stays readable.
#include <algorithm>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange

#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "store/record_codec.hpp"
#include "store/redis_store.hpp"
#include "store/resp.hpp"

namespace banlist::service {
namespace asio = boost::asio;

namespace {

// The notice page walks the listing order (public_page.lua): seqs examined
// per script run (32 buckets: a run blocks Redis for ~1 ms at most) and
// runs per page before a sparse filter's page is handed back short, with
// its cursor.
constexpr std::uint64_t kPublicPageSeqsPerRun = 4096;
constexpr std::size_t kPublicPageRuns = 16;

store_error bad_reply(std::string_view what) {
  return to_store_error(failure_kind::unexpected_reply, what);
}

// "fp fp fp" <-> fingerprints. The handler validated every fingerprint.
std::string join_fps(const std::vector<fingerprint>& fps) {
  std::string out;
  for (const auto& fp : fps) {
    if (!out.empty())
      out += ' ';
    out += fp.to_hex();
  }
  return out;
}

std::vector<fingerprint> split_fps(std::string_view text) {
  std::vector<fingerprint> out;
  while (!text.empty()) {
    const auto space = text.find(' ');
    const auto word = text.substr(0, space);
    if (auto fp = fingerprint::from_hex(word))
      out.push_back(*fp);
    if (space == std::string_view::npos)
      break;
    text.remove_prefix(space + 1);
  }
  return out;
}

store_result<bulletin> decode_bulletin(const field_map& f) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = f.find(name);
    return it == f.end() ? nullptr : &it->second;
  };
  const auto* id = get("id");
  const auto* title = get("title");
  const auto* body = get("body");
  const auto* status = get("status");
  const auto* created = get("created_at");
  const auto* updated = get("updated_at");
  if (!id || !title || !body || !status || !created || !updated)
    return std::unexpected(to_store_error(failure_kind::unexpected_reply, "bulletin record"));
  bulletin b;
  b.id = *id;
  b.title = *title;
  b.body = *body;
  if (const auto* linked = get("linked"))
    b.linked_bans = split_fps(*linked);
  b.published = *status == "published";
  const auto c = parse_i64(*created);
  const auto u = parse_i64(*updated);
  if (!c || !u)
    return std::unexpected(to_store_error(failure_kind::unexpected_reply, "bulletin times"));
  b.created_at_ms = *c;
  b.updated_at_ms = *u;
  return b;
}

}  // namespace

asio::awaitable<store_result<std::uint64_t>> redis_store::public_version_impl() {
  std::vector<std::string> args{"GET", key("public_version")};
  auto reply = co_await command(std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  if (reply->is_nil())
    co_return std::uint64_t{0};
  const auto* text = reply->string();
  const auto v = text ? parse_u64(*text) : std::nullopt;
  if (!v)
    co_return std::unexpected(bad_reply("public_version"));
  co_return *v;
}

asio::awaitable<store_result<public_page>> redis_store::list_public_impl(public_query query) {
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, 1000);
  // One extra entry says whether another page follows.
  const std::size_t wanted = limit + 1;
  const std::string type_filter =
      query.type ? std::string(sdk::to_string(*query.type)) + ' ' +
                       static_cast<char>(static_cast<std::uint8_t>(*query.type))
                 : std::string();
  const std::string reason_filter =
      query.reason ? *query.reason + ' ' +
                         static_cast<char>(static_cast<std::uint8_t>(
                             sdk::parse_reason(*query.reason).value_or(sdk::ban_reason::other)))
                   : std::string();
  public_page page;
  std::uint64_t before = query.before_seq;
  for (std::size_t run = 0; run < kPublicPageRuns; ++run) {
    std::vector<std::string> keys{key("bans"), key("public_version"), key("seq")};
    std::vector<std::string> args{
        key("rec"),  std::to_string(before), std::to_string(wanted - page.entries.size()),
        type_filter, reason_filter,          std::to_string(kPublicPageSeqsPerRun)};
    auto reply = co_await run_script(script_id::public_page, std::move(keys), std::move(args));
    if (!reply)
      co_return std::unexpected(std::move(reply.error()));
    const auto* items = reply->array();
    if (!items || items->size() < 2 || !(*items)[0].string() || !(*items)[1].integer() ||
        *(*items)[1].integer() < 0)
      co_return std::unexpected(bad_reply("public_page reply"));
    const auto version = parse_u64(*(*items)[0].string());
    if (!version)
      co_return std::unexpected(bad_reply("public_page version"));
    // The first run's version: what the page shows is at least that new, so
    // a cache keyed by it never serves older content under a newer version.
    if (run == 0)
      page.version = *version;
    for (std::size_t i = 2; i < items->size(); ++i) {
      const auto* row = (*items)[i].array();
      if (!row || row->size() != 3 || !(*row)[0].string() || !(*row)[1].string() ||
          !(*row)[2].string())
        co_return std::unexpected(bad_reply("public_page row"));
      auto fp = fingerprint_of_bytes(*(*row)[0].string());
      auto seq = parse_u64(*(*row)[1].string());
      if (!fp || !seq)
        co_return std::unexpected(bad_reply("public_page entry"));
      // Only the public fields leave here: public_entry has no value.
      auto record = decode_packed_record(*fp, *(*row)[2].string());
      if (!record)
        co_return std::unexpected(record.error());
      page.entries.push_back(public_entry{*fp, record->type, std::move(record->masked),
                                          std::move(record->reason), std::move(record->case_id),
                                          std::move(record->source), record->banned_at_ms, *seq});
    }
    if (page.entries.size() > limit) {
      page.entries.resize(limit);
      page.next_cursor = page.entries.back().seq;
      co_return page;
    }
    before = static_cast<std::uint64_t>(*(*items)[1].integer());
    if (before == 0)
      co_return page;  // the walk reached the first seq
  }
  // A sparse filter: hand back what was found and where to go on.
  page.next_cursor = before;
  co_return page;
}

asio::awaitable<store_result<std::vector<std::optional<public_entry>>>>
redis_store::public_entries_impl(std::vector<fingerprint> fps) {
  std::vector<std::optional<public_entry>> out(fps.size());
  if (fps.empty())
    co_return out;
  std::vector<std::vector<std::string>> reads;
  reads.reserve(fps.size());
  for (const auto& fp : fps) {
    reads.push_back(record_read(fp));
  }
  auto replies = co_await commands_->execute_pipeline(std::move(reads), options_.command_timeout);
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  for (std::size_t i = 0; i < fps.size(); ++i) {
    auto checked = reject_error_reply(std::move((*replies)[i]));
    if (!checked)
      co_return std::unexpected(checked.error());
    auto record = decode_record_reply(fps[i], *checked);
    if (!record)
      co_return std::unexpected(record.error());
    const auto& r = *record;
    if (!r || r->status != ban_status::banned || !r->is_public)
      continue;  // not banned, or banned but not public: not disclosed
    out[i] = public_entry{fps[i],     r->type,   r->masked,       r->reason,
                          r->case_id, r->source, r->banned_at_ms, r->seq};
  }
  co_return out;
}

asio::awaitable<store_result<bulletin>> redis_store::put_bulletin_impl(bulletin b, actor who) {
  std::vector<std::string> keys{key("bulletin_seq"), key("bulletins"), key("public_version"),
                                key("audit")};
  std::vector<std::string> args{b.id,       b.title,     b.body,         join_fps(b.linked_bans),
                                who.key_id, who.address, who.request_id, key("bulletin:")};
  auto reply = co_await run_script(script_id::bulletin_put, std::move(keys), std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* items = reply->array();
  if (!items || items->empty() || !(*items)[0].integer())
    co_return std::unexpected(bad_reply("bulletin_put reply"));
  if (*(*items)[0].integer() == 0)
    co_return std::unexpected(to_store_error(failure_kind::not_found, "no such bulletin"));
  if (items->size() != 2)
    co_return std::unexpected(bad_reply("bulletin_put reply"));
  auto fields = to_field_map((*items)[1]);
  if (!fields)
    co_return std::unexpected(fields.error());
  co_return decode_bulletin(*fields);
}

asio::awaitable<store_result<void>> redis_store::withdraw_bulletin_impl(std::string id, actor who) {
  std::vector<std::string> keys{key("bulletin:" + id), key("bulletins"), key("public_version"),
                                key("audit")};
  std::vector<std::string> args{id, who.key_id, who.address, who.request_id};
  auto reply = co_await run_script(script_id::bulletin_withdraw, std::move(keys), std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  const auto* items = reply->array();
  if (!items || items->empty() || !(*items)[0].integer())
    co_return std::unexpected(bad_reply("bulletin_withdraw reply"));
  if (*(*items)[0].integer() == 0)
    co_return std::unexpected(to_store_error(failure_kind::not_found, "no such bulletin"));
  co_return store_result<void>{};
}

asio::awaitable<store_result<std::optional<bulletin>>> redis_store::get_bulletin_impl(
    std::string id) {
  std::vector<std::string> args{"HGETALL", key("bulletin:" + id)};
  auto reply = co_await command(std::move(args));
  if (!reply)
    co_return std::unexpected(std::move(reply.error()));
  auto fields = to_field_map(*reply);
  if (!fields)
    co_return std::unexpected(fields.error());
  if (fields->empty())
    co_return std::optional<bulletin>{};
  auto b = decode_bulletin(*fields);
  if (!b)
    co_return std::unexpected(b.error());
  co_return std::optional<bulletin>(std::move(*b));
}

asio::awaitable<store_result<bulletin_page>> redis_store::list_bulletins_impl(
    std::uint64_t before_id, std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, 100);
  std::vector<std::string> args{"ZRANGE",
                                key("bulletins"),
                                before_id == 0 ? "+inf" : "(" + std::to_string(before_id),
                                "-inf",
                                "BYSCORE",
                                "REV",
                                "LIMIT",
                                "0",
                                std::to_string(limit + 1)};
  auto ids = co_await command(std::move(args));
  if (!ids)
    co_return std::unexpected(std::move(ids.error()));
  const auto* list = ids->array();
  if (!list)
    co_return std::unexpected(bad_reply("bulletins"));
  bulletin_page page;
  std::vector<std::vector<std::string>> reads;
  for (std::size_t i = 0; i < list->size() && i < limit; ++i) {
    const auto* id = (*list)[i].string();
    if (!id)
      co_return std::unexpected(bad_reply("bulletin id"));
    reads.push_back({"HGETALL", key("bulletin:" + *id)});
  }
  if (list->size() > limit) {
    const auto* last = (*list)[limit - 1].string();
    page.next_cursor = last ? parse_u64(*last) : std::nullopt;
  }
  if (reads.empty())
    co_return page;
  auto replies = co_await commands_->execute_pipeline(std::move(reads), options_.command_timeout);
  if (!replies)
    co_return std::unexpected(std::move(replies.error()));
  for (auto& r : *replies) {
    auto checked = reject_error_reply(std::move(r));
    if (!checked)
      co_return std::unexpected(checked.error());
    auto fields = to_field_map(*checked);
    if (!fields)
      co_return std::unexpected(fields.error());
    if (fields->empty())
      continue;
    auto b = decode_bulletin(*fields);
    if (!b)
      co_return std::unexpected(b.error());
    if (b->published)  // withdrawn between the two reads
      page.items.push_back(std::move(*b));
  }
  co_return page;
}

}  // namespace banlist::service
