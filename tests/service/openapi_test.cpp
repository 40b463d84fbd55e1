// docs/openapi.yaml must describe every route the router has (and no route
// it lacks). The check reads the spec's `paths:` block: path lines at two
// spaces, method lines at four.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "handlers/handlers.hpp"

using namespace banlist::service;

TEST_CASE("openapi.yaml covers exactly the router's routes", "[http][openapi]") {
  router r;
  handlers::add_all_routes(r);
  std::set<std::string> in_router;
  for (const auto& route : r.routes()) {
    std::string method(boost::beast::http::to_string(route.method));
    for (auto& ch : method)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    in_router.insert(method + " " + route.pattern);
  }

  std::ifstream spec(BANLIST_OPENAPI_PATH);
  REQUIRE(spec);
  std::set<std::string> in_spec;
  std::string line, path;
  bool in_paths = false;
  while (std::getline(spec, line)) {
    if (line.rfind("paths:", 0) == 0) {
      in_paths = true;
      continue;
    }
    if (!in_paths)
      continue;
    if (!line.empty() && line[0] != ' ' && line[0] != '#')
      break;  // next top-level key
    if (line.size() > 3 && line.rfind("  /", 0) == 0 && line.back() == ':') {
      path = line.substr(2, line.size() - 3);
    } else if (line.size() > 5 && line.rfind("    ", 0) == 0 && line[4] != ' ' &&
               line.back() == ':') {
      const std::string method = line.substr(4, line.size() - 5);
      if (method == "get" || method == "post" || method == "delete" || method == "put" ||
          method == "patch") {
        in_spec.insert(method + " " + path);
      }
    }
  }
  for (const auto& route : in_router) {
    INFO("router route missing from docs/openapi.yaml: " << route);
    CHECK(in_spec.count(route) == 1);
  }
  for (const auto& route : in_spec) {
    INFO("docs/openapi.yaml describes a route the router lacks: " << route);
    CHECK(in_router.count(route) == 1);
  }
}
