// router: maps (method, path) to a handler and the role it requires. Patterns
// are literal segments and `{name}` captures ("/v1/bans/{fp}"). Built once at
// start, then read-only: safe to share between threads.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>  // before Boost 1.74 Asio: awaitable.hpp uses std::exchange
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include "request_context.hpp"
#include "store/records.hpp"

namespace banlist::service {

using handler_fn = std::function<boost::asio::awaitable<http_response>(request_context&)>;

// An answer a route can give at once, from memory, or nullopt when it needs
// the handler (a Redis round trip, an error to explain). It must not change
// any state: the session may discard its answer (a rate-limited key) or
// call the handler after it. The caller's role is checked before it runs;
// request_context::caller is not set (an answer from memory does not
// depend on who asks).
using immediate_fn = std::function<std::optional<http_response>(request_context&)>;

struct route {
  http::verb method;
  std::string pattern;
  std::optional<role> required;  // nullopt: public or ops route, no key needed
  handler_fn handler;
  // The handler reads the body itself (request_context::exchange); the
  // session reads only the header first.
  bool streamed_body = false;
  // Tried before `handler` when set (see immediate_fn): the common answer
  // of the hottest route without a coroutine frame or a trip through the
  // scheduler.
  immediate_fn immediate;
};

enum class route_miss { not_found, method_not_allowed };

struct route_match {
  const route* matched;
  std::size_t index;  // position in routes(), for metrics
  std::vector<std::pair<std::string, std::string>> params;
};

class router {
 public:
  // Adds a route. Requires: no route with the same method and pattern.
  void add(http::verb method, std::string pattern, std::optional<role> required,
           handler_fn handler);
  // Adds a route whose handler streams the request body (see streamed_exchange.hpp).
  void add_streamed(http::verb method, std::string pattern, std::optional<role> required,
                    handler_fn handler);
  // Adds a route that may answer at once (route::immediate), else through `handler`.
  void add(http::verb method, std::string pattern, std::optional<role> required,
           immediate_fn immediate, handler_fn handler);

  // Returns the route for `method` and `path`, or why there is none
  // (method_not_allowed when the path exists with other methods).
  std::expected<route_match, route_miss> match(http::verb method, std::string_view path) const;

  // Whether `method` and `path` go to a route added with add_streamed
  // (cheaper than match() for the many requests that do not).
  bool streams_body(http::verb method, std::string_view path) const;

  // Every route, in the order added (the route table docs/openapi.yaml must cover).
  const std::vector<route>& routes() const noexcept { return routes_; }

  // Methods registered for `path` ("GET, POST"), for the Allow header.
  std::string allowed_methods(std::string_view path) const;

 private:
  static bool match_pattern(std::string_view pattern, std::string_view path,
                            std::vector<std::pair<std::string, std::string>>* params);
  // Indexes the route just added in exact_ and streamed_.
  void index_last();

  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::vector<route> routes_;
  // Paths that only a capture-free pattern takes (match() without walking
  // every route of the method): path -> (method, index of its route).
  std::unordered_map<std::string, std::vector<std::pair<http::verb, std::size_t>>, text_hash,
                     std::equal_to<>>
      exact_;
  std::vector<std::size_t> streamed_;  // the routes added with add_streamed
};

// True when a caller with `have` may use a route that requires `need`.
constexpr bool role_allows(role have, role need) noexcept {
  return static_cast<int>(have) >= static_cast<int>(need);
}

}  // namespace banlist::service
