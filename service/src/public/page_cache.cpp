#include "public/page_cache.hpp"

#include <cstdio>

namespace banlist::service {

std::shared_ptr<const cached_page> page_cache::find(const std::string& key,
                                                    std::uint64_t version) const {
  std::lock_guard lock(mutex_);
  auto it = pages_.find(key);
  if (it == pages_.end() || it->second->version != version)
    return nullptr;
  return it->second;
}

void page_cache::put(const std::string& key, std::shared_ptr<const cached_page> page) {
  std::lock_guard lock(mutex_);
  auto it = pages_.find(key);
  if (it != pages_.end()) {
    if (it->second->version <= page->version)
      it->second = std::move(page);
    return;
  }
  if (pages_.size() >= max_entries_)
    pages_.clear();
  pages_.emplace(key, std::move(page));
}

std::string etag_of(std::string_view body) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : body) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace banlist::service
