#include "banlist/sdk/identifier.hpp"

#include <array>
#include <utility>

namespace banlist::sdk {
namespace {

constexpr std::array<std::pair<identifier_type, std::string_view>, 8> kTypeNames{{
    {identifier_type::phone, "phone"},
    {identifier_type::email, "email"},
    {identifier_type::id_card, "id_card"},
    {identifier_type::bank_card, "bank_card"},
    {identifier_type::device, "device"},
    {identifier_type::account, "account"},
    {identifier_type::domain, "domain"},
    {identifier_type::app, "app"},
}};

}  // namespace

std::string_view to_string(identifier_type type) noexcept {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "unknown";
}

std::optional<identifier_type> parse_identifier_type(std::string_view name) noexcept {
  for (const auto& [t, n] : kTypeNames) {
    if (n == name) return t;
  }
  return std::nullopt;
}

}  // namespace banlist::sdk
