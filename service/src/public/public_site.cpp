#include "public/public_site.hpp"

#include "public/templates.hpp"

namespace banlist::service {

public_site::public_site(const service_config& config)
    : lookups_(config.public_lookup_per_minute, config.public_lookup_burst),
      pages_(config.public_page_per_minute, config.public_page_burst) {
  std::string tag = etag_of(templates::notice_css);  // "\"<16 hex>\""
  css_path_ = "/static/notice." + tag.substr(1, 12) + ".css";
}

std::string_view public_site::css() const noexcept {
  return templates::notice_css;
}

}  // namespace banlist::service
