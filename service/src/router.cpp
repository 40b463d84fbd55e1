#include "router.hpp"

#include <algorithm>

namespace banlist::service {
namespace {

// Returns the next '/'-separated segment of `text` and advances past it.
std::string_view next_segment(std::string_view& text) {
  const auto slash = text.find('/');
  std::string_view segment = text.substr(0, slash);
  text = slash == std::string_view::npos ? std::string_view{} : text.substr(slash + 1);
  return segment;
}

}  // namespace

void router::add(http::verb method, std::string pattern, std::optional<role> required,
                 handler_fn handler) {
  routes_.push_back(route{method, std::move(pattern), required, std::move(handler), false, {}});
  index_last();
}

void router::add(http::verb method, std::string pattern, std::optional<role> required,
                 immediate_fn immediate, handler_fn handler) {
  add(method, std::move(pattern), required, std::move(handler));
  routes_.back().immediate = std::move(immediate);
}

void router::add_streamed(http::verb method, std::string pattern, std::optional<role> required,
                          handler_fn handler) {
  routes_.push_back(route{method, std::move(pattern), required, std::move(handler), true, {}});
  index_last();
}

void router::index_last() {
  const std::size_t i = routes_.size() - 1;
  const route& r = routes_[i];
  if (r.streamed_body)
    streamed_.push_back(i);
  // A pattern without captures goes in exact_ unless an earlier route of
  // its method takes the same path first (match() answers with the first).
  if (r.pattern.find('{') != std::string::npos)
    return;
  for (std::size_t j = 0; j < i; ++j) {
    if (routes_[j].method == r.method && match_pattern(routes_[j].pattern, r.pattern, nullptr))
      return;
  }
  exact_[r.pattern].emplace_back(r.method, i);
}

bool router::match_pattern(std::string_view pattern, std::string_view path,
                           std::vector<std::pair<std::string, std::string>>* params) {
  if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/')
    return false;
  pattern.remove_prefix(1);
  path.remove_prefix(1);
  while (true) {
    const bool pattern_done = pattern.empty();
    const bool path_done = path.empty();
    if (pattern_done || path_done)
      return pattern_done && path_done;
    const std::string_view want = next_segment(pattern);
    const std::string_view have = next_segment(path);
    if (want.size() >= 2 && want.front() == '{' && want.back() == '}') {
      if (have.empty())
        return false;
      if (params)
        params->emplace_back(want.substr(1, want.size() - 2), have);
    } else if (want != have) {
      return false;
    }
    // "/a/" and "/a" are different paths: a trailing slash leaves one side
    // with an empty final segment the other lacks.
    if (pattern.empty() != path.empty())
      return false;
  }
}

std::expected<route_match, route_miss> router::match(http::verb method,
                                                     std::string_view path) const {
  // The first route of this method whose pattern matches; only a miss
  // looks at the other methods' routes (for 405 against 404).
  if (auto exact = exact_.find(path); exact != exact_.end()) {
    for (const auto& [m, i] : exact->second) {
      if (m == method)
        return route_match{&routes_[i], i, {}};
    }
  }
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const route& r = routes_[i];
    if (r.method != method)
      continue;
    std::vector<std::pair<std::string, std::string>> params;
    if (match_pattern(r.pattern, path, &params))
      return route_match{&r, i, std::move(params)};
  }
  const bool path_known = std::ranges::any_of(
      routes_, [&](const route& r) { return match_pattern(r.pattern, path, nullptr); });
  return std::unexpected(path_known ? route_miss::method_not_allowed : route_miss::not_found);
}

bool router::streams_body(http::verb method, std::string_view path) const {
  // Few routes stream; most requests are ruled out by those alone.
  const bool candidate = std::ranges::any_of(streamed_, [&](std::size_t i) {
    return routes_[i].method == method && match_pattern(routes_[i].pattern, path, nullptr);
  });
  if (!candidate)
    return false;
  auto m = match(method, path);  // an earlier route may take the path first
  return m && m->matched->streamed_body;
}

std::string router::allowed_methods(std::string_view path) const {
  std::string out;
  for (const route& r : routes_) {
    if (!match_pattern(r.pattern, path, nullptr))
      continue;
    if (!out.empty())
      out += ", ";
    out += std::string(http::to_string(r.method));
  }
  return out;
}

}  // namespace banlist::service
