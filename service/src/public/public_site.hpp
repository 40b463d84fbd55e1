// public_site: what the public pages share in one banlistd — the two rate
// limiters (lookups and public JSON; pages and feed), the rendered-page
// cache and the stylesheet with its content-hashed path.
//
// Thread-safety: the members are internally synchronized; the stylesheet
// fields are set in the constructor and read-only after.
#pragma once

#include <string>
#include <string_view>

#include "config.hpp"
#include "public/page_cache.hpp"
#include "public/rate_limiter.hpp"

namespace banlist::service {

class public_site {
 public:
  explicit public_site(const service_config& config);

  // GET /lookup, /v1/public/*: per_minute/burst from --public-lookup-*.
  rate_limiter& lookup_limiter() noexcept { return lookups_; }
  // Pages, bulletins, feed: --public-page-*.
  rate_limiter& page_limiter() noexcept { return pages_; }
  page_cache& cache() noexcept { return cache_; }

  // "/static/notice.<hash>.css": changes whenever the stylesheet does, so it
  // may be cached for a year.
  const std::string& css_path() const noexcept { return css_path_; }
  std::string_view css() const noexcept;

 private:
  rate_limiter lookups_;
  rate_limiter pages_;
  page_cache cache_;
  std::string css_path_;
};

}  // namespace banlist::service
