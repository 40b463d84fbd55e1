#include "banlist/sdk/reason.hpp"

#include <array>
#include <utility>

namespace banlist::sdk {
namespace {

template <typename E>
struct named {
  E value;
  std::string_view name;
};

constexpr std::array<named<change_op>, 2> kOps = {{
    {change_op::ban, "ban"},
    {change_op::lift, "lift"},
}};

constexpr std::array<named<ban_reason>, 15> kBanReasons = {{
    {ban_reason::telecom_fraud, "telecom_fraud"},
    {ban_reason::phishing, "phishing"},
    {ban_reason::fake_shop, "fake_shop"},
    {ban_reason::loan_fraud, "loan_fraud"},
    {ban_reason::investment_fraud, "investment_fraud"},
    {ban_reason::impersonation, "impersonation"},
    {ban_reason::romance_scam, "romance_scam"},
    {ban_reason::task_scam, "task_scam"},
    {ban_reason::dispute_fraud, "dispute_fraud"},
    {ban_reason::money_mule, "money_mule"},
    {ban_reason::account_trading, "account_trading"},
    {ban_reason::gambling, "gambling"},
    {ban_reason::malware, "malware"},
    {ban_reason::spam, "spam"},
    {ban_reason::other, "other"},
}};

constexpr std::array<named<lift_reason>, 5> kLiftReasons = {{
    {lift_reason::appeal_granted, "appeal_granted"},
    {lift_reason::mistake, "mistake"},
    {lift_reason::expired, "expired"},
    {lift_reason::reassigned, "reassigned"},
    {lift_reason::other, "other"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<named<E>, N>& table, E value) noexcept {
  for (const auto& entry : table) {
    if (entry.value == value)
      return entry.name;
  }
  return {};
}

template <typename E, std::size_t N>
std::optional<E> value_of(const std::array<named<E>, N>& table, std::string_view name) noexcept {
  for (const auto& entry : table) {
    if (entry.name == name)
      return entry.value;
  }
  return std::nullopt;
}

// code -> valid? for one vocabulary, so reading a code from the wire is one load.
template <typename E, std::size_t N>
constexpr std::array<bool, 256> valid_codes(const std::array<named<E>, N>& table) noexcept {
  std::array<bool, 256> valid{};
  for (const auto& entry : table)
    valid[std::to_underlying(entry.value)] = true;
  return valid;
}

constexpr auto kValidOps = valid_codes(kOps);
constexpr auto kValidBanReasons = valid_codes(kBanReasons);
constexpr auto kValidLiftReasons = valid_codes(kLiftReasons);

template <typename E>
std::optional<E> from_code(const std::array<bool, 256>& valid, std::uint8_t code) noexcept {
  if (!valid[code])
    return std::nullopt;
  return static_cast<E>(code);
}

}  // namespace

std::string_view to_string(change_op op) noexcept {
  return name_of(kOps, op);
}
std::string_view to_string(ban_reason reason) noexcept {
  return name_of(kBanReasons, reason);
}
std::string_view to_string(lift_reason reason) noexcept {
  return name_of(kLiftReasons, reason);
}

std::optional<change_op> parse_change_op(std::string_view name) noexcept {
  return value_of(kOps, name);
}
std::optional<ban_reason> parse_reason(std::string_view name) noexcept {
  return value_of(kBanReasons, name);
}
std::optional<lift_reason> parse_lift_reason(std::string_view name) noexcept {
  return value_of(kLiftReasons, name);
}

std::optional<change_op> change_op_from_code(std::uint8_t code) noexcept {
  return from_code<change_op>(kValidOps, code);
}
std::optional<ban_reason> ban_reason_from_code(std::uint8_t code) noexcept {
  return from_code<ban_reason>(kValidBanReasons, code);
}
std::optional<lift_reason> lift_reason_from_code(std::uint8_t code) noexcept {
  return from_code<lift_reason>(kValidLiftReasons, code);
}

std::optional<identifier_type> identifier_type_from_code(std::uint8_t code) noexcept {
  // A type is known when its name parses back to it; computed once.
  static const std::array<bool, 256> kValidTypes = [] {
    std::array<bool, 256> valid{};
    for (unsigned c = 0; c < 256; ++c) {
      const auto type = static_cast<identifier_type>(c);
      valid[c] = parse_identifier_type(to_string(type)) == type;
    }
    return valid;
  }();
  if (!kValidTypes[code])
    return std::nullopt;
  return static_cast<identifier_type>(code);
}

std::string_view reason_name(change_op op, std::uint8_t code) noexcept {
  switch (op) {
    case change_op::ban:
      if (auto reason = ban_reason_from_code(code))
        return to_string(*reason);
      return {};
    case change_op::lift:
      if (auto reason = lift_reason_from_code(code))
        return to_string(*reason);
      return {};
  }
  return {};
}

std::optional<std::uint8_t> parse_reason_code(change_op op, std::string_view name) noexcept {
  switch (op) {
    case change_op::ban:
      if (auto reason = parse_reason(name))
        return std::to_underlying(*reason);
      return std::nullopt;
    case change_op::lift:
      if (auto reason = parse_lift_reason(name))
        return std::to_underlying(*reason);
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace banlist::sdk
