// banctl fingerprint: shows what the service will store for an identifier —
// its normalized form, fingerprint and public masked form — without
// contacting the service. Useful to look a ban up by fp, or to check a value.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>

#include "../options.hpp"
#include "banlist/sdk/identifier.hpp"
#include "commands.hpp"

namespace banlist::banctl {
namespace {

constexpr std::string_view kUsage =
    "usage: banctl fingerprint TYPE VALUE [--seed N] [--json]\n"
    "\n"
    "Normalizes VALUE as an identifier of TYPE and prints the normalized form,\n"
    "the fingerprint (XXH3-128, 32 hex digits) and the masked public form.\n"
    "\n"
    "  TYPE       phone, email, id_card, bank_card, device, account, domain, app\n"
    "  --seed N   fingerprint seed, decimal or 0x-hex (default: $BANLIST_SEED, else 0);\n"
    "             must be the deployment's seed for the fingerprint to match its list\n"
    "  --json     print one JSON object instead of text\n"
    "\n"
    "Exit status: 0 done, 1 VALUE is not a valid TYPE (the rule it broke is on\n"
    "stderr, and with --json also on stdout), 2 usage error.\n";

std::string seed_hex(std::uint64_t seed) {
  char text[19];
  std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(seed));
  return text;
}

template <typename Writer>
void write_string(Writer& writer, std::string_view key, std::string_view value) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

int run(command_args args, std::ostream& out, std::ostream& err) {
  const parsed_args parsed = parse_args(args, {"--seed"});
  if (!parsed.error.empty()) {
    err << "banctl fingerprint: " << parsed.error << "\n\n" << kUsage;
    return kExitUsage;
  }
  bool json = false;
  std::optional<std::string_view> seed_text;
  if (const char* env = std::getenv("BANLIST_SEED"); env != nullptr && *env != '\0') {
    seed_text = env;
  }
  for (const auto& [name, value] : parsed.options) {
    if (name == "--json") {
      json = true;
    } else if (name == "--seed") {
      seed_text = value;
    } else if (name == "--help" || name == "-h") {
      out << kUsage;
      return kExitOk;
    } else {
      err << "banctl fingerprint: unknown option " << name << "\n\n" << kUsage;
      return kExitUsage;
    }
  }
  if (parsed.positional.size() != 2) {
    err << "banctl fingerprint: expected TYPE and VALUE\n\n" << kUsage;
    return kExitUsage;
  }
  const auto type = sdk::parse_identifier_type(parsed.positional[0]);
  if (!type) {
    err << "banctl fingerprint: unknown type '" << parsed.positional[0] << "'\n\n" << kUsage;
    return kExitUsage;
  }
  std::uint64_t seed = 0;
  if (seed_text) {
    const auto parsed_seed = parse_u64(*seed_text);
    if (!parsed_seed) {
      err << "banctl fingerprint: the seed must be a 64-bit number (decimal or 0x-hex)\n";
      return kExitUsage;
    }
    seed = *parsed_seed;
  }

  const auto normalized = sdk::normalize(*type, parsed.positional[1]);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  if (!normalized) {
    const sdk::normalize_error& error = normalized.error();
    err << "banctl fingerprint: " << error.message << "\n";
    if (json) {
      writer.StartObject();
      writer.Key("error");
      writer.StartObject();
      write_string(writer, "code", "invalid_identifier");
      write_string(writer, "type", sdk::to_string(error.type));
      write_string(writer, "rule", error.rule);
      write_string(writer, "message", error.message);
      writer.EndObject();
      writer.EndObject();
      out << buffer.GetString() << "\n";
    }
    return kExitInvalidIdentifier;
  }

  const std::string fp = sdk::fingerprint_of(*type, *normalized, seed).to_hex();
  const std::string masked = sdk::mask(*type, *normalized);
  if (json) {
    writer.StartObject();
    write_string(writer, "type", sdk::to_string(*type));
    write_string(writer, "normalized", *normalized);
    write_string(writer, "fingerprint", fp);
    write_string(writer, "masked", masked);
    // A string: JSON numbers above 2^53 lose precision in many readers.
    write_string(writer, "seed", seed_hex(seed));
    writer.EndObject();
    out << buffer.GetString() << "\n";
  } else {
    out << "type:        " << sdk::to_string(*type) << "\n"
        << "normalized:  " << *normalized << "\n"
        << "fingerprint: " << fp << "\n"
        << "masked:      " << masked << "\n"
        << "seed:        " << seed_hex(seed) << "\n";
  }
  return kExitOk;
}

}  // namespace

const command kFingerprintCommand{
    "fingerprint",
    "normalize an identifier and print its fingerprint and masked form",
    kUsage,
    run,
};

}  // namespace banlist::banctl
