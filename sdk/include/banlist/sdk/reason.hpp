// The fixed vocabularies a change carries on the wire: what a change does
// (change_op), why an account was banned (ban_reason) and why a ban was lifted
// (lift_reason). Each value has a stable one-byte code (binary formats) and a
// stable snake_case name (JSON); docs/protocol.md (section 3) is the table. Code 0 is
// never valid, so zeroed bytes are caught. New values may be added in a later
// format version; existing codes never change meaning.
//
// Pure functions on values: safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "banlist/sdk/identifier.hpp"

namespace banlist::sdk {

enum class change_op : std::uint8_t {
  ban = 1,
  lift = 2,
};

// Categories for telecom and online fraud, as a complaint platform files them.
enum class ban_reason : std::uint8_t {
  telecom_fraud = 1,     // scam calls and SMS
  phishing = 2,          // credential or card-data harvesting (links, pages, messages)
  fake_shop = 3,         // goods paid for and never delivered, counterfeit shops
  loan_fraud = 4,        // advance-fee "loans", illegal lending, fake credit repair
  investment_fraud = 5,  // fake trading platforms, "pig butchering"
  impersonation = 6,     // posing as police, officials, customer service, relatives
  romance_scam = 7,      // dating and relationship scams
  task_scam = 8,         // paid "tasks", click farming, part-time job scams
  dispute_fraud = 9,     // fake complaints, refund and chargeback abuse
  money_mule = 10,       // accounts or cards that move scam proceeds
  account_trading = 11,  // buying, selling or renting accounts, SIMs or cards
  gambling = 12,         // illegal gambling promotion
  malware = 13,          // scam or malicious apps, remote-control tools
  spam = 14,             // bulk unsolicited messages
  other = 255,           // none of the above; the ban record's note says more
};

enum class lift_reason : std::uint8_t {
  appeal_granted = 1,  // the owner appealed and a moderator agreed
  mistake = 2,         // banned in error (wrong identifier, wrong case)
  expired = 3,         // the ban's expires_at passed
  reassigned = 4,      // the identifier now belongs to someone else (recycled phone number)
  other = 255,
};

// Wire names ("ban", "telecom_fraud", "appeal_granted", ...). An out-of-range
// value gives "".
std::string_view to_string(change_op op) noexcept;
std::string_view to_string(ban_reason reason) noexcept;
std::string_view to_string(lift_reason reason) noexcept;

// Parse a wire name (case-sensitive). Returns nullopt for anything else.
std::optional<change_op> parse_change_op(std::string_view name) noexcept;
std::optional<ban_reason> parse_reason(std::string_view name) noexcept;
std::optional<lift_reason> parse_lift_reason(std::string_view name) noexcept;

// Accept a one-byte code read from the wire. Returns nullopt for codes with no value.
std::optional<change_op> change_op_from_code(std::uint8_t code) noexcept;
std::optional<ban_reason> ban_reason_from_code(std::uint8_t code) noexcept;
std::optional<lift_reason> lift_reason_from_code(std::uint8_t code) noexcept;
// identifier_type's code is its enum value (identifier.hpp): phone = 1 ... app = 8.
std::optional<identifier_type> identifier_type_from_code(std::uint8_t code) noexcept;

// A change's reason byte is read in the vocabulary of its op: a ban_reason
// code for a ban, a lift_reason code for a lift. These two helpers do that.
// reason_name returns "" when the code is not valid for the op;
// parse_reason_code returns nullopt when the name is not valid for the op.
std::string_view reason_name(change_op op, std::uint8_t code) noexcept;
std::optional<std::uint8_t> parse_reason_code(change_op op, std::string_view name) noexcept;

}  // namespace banlist::sdk
