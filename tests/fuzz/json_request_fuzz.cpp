// libFuzzer target: the request decoders of the ban write paths on arbitrary
// bytes. The first byte picks what the rest is:
//   0  a JSON body of POST /v1/bans (parse_json_object, ban_fields_from_json,
//      validate_ban) and the same text as an NDJSON import line;
//   1  a CSV import: a header line, then data lines (csv_columns,
//      csv_ban_fields, validate_ban);
//   2  an import body cut into lines (line_splitter), fed whole and in two
//      pieces split where the second byte says.
// Nothing may crash or read out of bounds, and:
//   - every refusal names a code and a message;
//   - the JSON body and the NDJSON line give the same answer (both routes
//     must accept exactly the same bans);
//   - an accepted ban holds a value that normalizes to itself, its
//     fingerprint and mask are computed from that value, and its reason is
//     in the vocabulary;
//   - the line splitter's lines do not depend on how the bytes arrived, are
//     numbered 1, 2, ..., and none holds a '\n' or exceeds the limit.
// The check batch, key, report and bulletin bodies are decoded inside their
// handlers; http_session_fuzz reaches them through the router.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/reason.hpp"
#include "handlers/ban_fields.hpp"
#include "handlers/import_lines.hpp"
#include "json.hpp"

namespace {

namespace handlers = banlist::service::handlers;

constexpr std::uint64_t kSeed = 0x5eed;
constexpr std::int64_t kNowMs = 1'700'000'000'000;
constexpr std::size_t kMaxLine = 64;  // small, so fuzzed lines reach the limit

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "json_request_fuzz: %s\n", what);
  std::abort();
}

void check(bool condition, const char* what) {
  if (!condition)
    fail(what);
}

void check_problem(const handlers::ban_problem& p) {
  check(!p.code.empty() && !p.message.empty(), "a refusal without a code or a message");
}

// What validate_ban accepted must be a ban the rest of the service can trust.
void check_record(const banlist::service::ban_record& r) {
  const auto again = banlist::sdk::normalize(r.type, r.value);
  check(again.has_value() && *again == r.value, "the stored value does not normalize to itself");
  check(r.fp == banlist::sdk::fingerprint_of(r.type, r.value, kSeed),
        "the fingerprint is not the value's");
  check(r.masked == banlist::sdk::mask(r.type, r.value), "the mask is not the value's");
  check(banlist::sdk::parse_reason(r.reason).has_value(), "a reason outside the vocabulary");
  check(!r.expires_at || *r.expires_at > kNowMs / 1000, "an expiry in the past");
}

// Validates decoded fields; returns the refusal code or "" when accepted.
std::string validate(std::expected<handlers::ban_fields, handlers::ban_problem> fields) {
  if (!fields) {
    check_problem(fields.error());
    return fields.error().code;
  }
  auto record = handlers::validate_ban(std::move(*fields), kSeed, "fuzz", kNowMs);
  if (!record) {
    check_problem(record.error());
    return record.error().code;
  }
  check_record(*record);
  return "";
}

void json_body(std::string_view body) {
  std::string from_body;
  if (auto object = banlist::service::parse_json_object(body)) {
    from_body = validate(handlers::ban_fields_from_json(*object));
  } else {
    check(!object.error().empty(), "a JSON error without a message");
    from_body = "malformed_json";
  }
  // The NDJSON line is the same object; the import reports it the same way.
  const std::string from_line = validate(handlers::ndjson_ban_fields(body));
  check(from_line == from_body, "POST /v1/bans and an NDJSON line disagree");
}

void csv_import(std::string_view text) {
  const auto header_end = text.find('\n');
  const auto columns = handlers::csv_columns(text.substr(0, header_end));
  if (!columns) {
    check_problem(columns.error());
    return;
  }
  check(!columns->empty(), "a CSV header accepted with no columns");
  std::string_view rest = header_end == std::string_view::npos ? "" : text.substr(header_end + 1);
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? "" : rest.substr(end + 1);
    if (handlers::blank_line(line))
      continue;
    validate(handlers::csv_ban_fields(line, *columns));
  }
}

std::vector<handlers::body_line> split(std::string_view bytes, std::size_t cut) {
  handlers::line_splitter splitter(kMaxLine);
  std::vector<handlers::body_line> lines;
  splitter.feed(bytes.substr(0, cut), lines);
  splitter.feed(bytes.substr(cut), lines);
  splitter.finish(lines);
  return lines;
}

void line_splitting(std::string_view bytes, std::size_t cut) {
  const auto whole = split(bytes, bytes.size());
  const auto pieces = split(bytes, cut);
  check(whole.size() == pieces.size(), "the number of lines depends on the read chunks");
  for (std::size_t i = 0; i < whole.size(); ++i) {
    check(whole[i].number == i + 1, "lines are not numbered 1, 2, ...");
    check(whole[i].text == pieces[i].text && whole[i].oversize == pieces[i].oversize &&
              whole[i].number == pieces[i].number,
          "a line depends on the read chunks");
    check(whole[i].text.size() <= kMaxLine, "a line longer than the limit");
    check(whole[i].text.find('\n') == std::string::npos, "a line holding a line end");
    check(!whole[i].oversize || whole[i].text.empty(), "an oversize line with text");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      json_body(rest);
      break;
    case 1:
      csv_import(rest);
      break;
    default:
      line_splitting(rest.substr(1),
                     rest.empty() ? 0 : static_cast<unsigned char>(rest[0]) % (rest.size()));
      break;
  }
  return 0;
}
