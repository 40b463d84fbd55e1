// page_cache: rendered public pages keyed by what they show (page kind,
// language, filters, cursor) and tagged with the public version they were
// rendered at. A hit needs the current version, so a ban, lift or bulletin
// change makes every older page a miss at once; nothing is ever stale
// beyond one Redis GET. Bounded: when full it is cleared (pages are cheap to
// render again, and the version check already drops the useful ones).
//
// Thread-safety: find() and put() may be called from any thread; guarded by
// mutex_. Entries are immutable and shared.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace banlist::service {

struct cached_page {
  std::uint64_t version = 0;
  std::string body;
  std::string etag;  // quoted, strong
};

class page_cache {
 public:
  explicit page_cache(std::size_t max_entries = 4096) : max_entries_(max_entries) {}

  // Returns the page under `key` if it was rendered at `version`.
  std::shared_ptr<const cached_page> find(const std::string& key, std::uint64_t version) const;
  // Stores a page; a page of an older version than the one held is ignored.
  void put(const std::string& key, std::shared_ptr<const cached_page> page);

 private:
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const cached_page>> pages_;  // guarded by mutex_
};

// A strong ETag ("\"<16 hex>\"") of a body: FNV-1a 64, stable across
// instances so a load balancer may send revalidations anywhere.
std::string etag_of(std::string_view body);

}  // namespace banlist::service
