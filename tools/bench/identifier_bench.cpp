// Identifier normalization and fingerprinting throughput: the phone fast path
// next to libphonenumber, and e-mail. Figures are recorded in
// docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "banlist/sdk/identifier.hpp"
#include "banlist/sdk/phone.hpp"

namespace {

using banlist::sdk::identifier_type;

constexpr std::uint64_t kSeed = 0x0123456789abcdefULL;
constexpr std::size_t kInputs = 4096;  // cycled, so the branch predictor cannot learn one

// Valid Chinese mobile numbers on common prefixes, half bare, half "+86".
std::vector<std::string> canonical_mobiles() {
  std::mt19937_64 rng(1);
  const char* prefixes[] = {"130", "138", "139", "150", "158", "177", "186", "188", "199"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < kInputs; ++i) {
    std::string number = i % 2 ? "+86" : "";
    number.append(prefixes[rng() % std::size(prefixes)]);
    for (int d = 0; d < 8; ++d)
      number.push_back(static_cast<char>('0' + rng() % 10));
    out.push_back(number);
  }
  return out;
}

// The same numbers as people type them: "138 0013 8000".
std::vector<std::string> spaced_mobiles() {
  std::vector<std::string> out;
  for (std::string n : canonical_mobiles()) {
    if (n.starts_with("+86"))
      n.erase(0, 3);
    out.push_back(n.substr(0, 3) + " " + n.substr(3, 4) + " " + n.substr(7));
  }
  return out;
}

std::vector<std::string> emails() {
  std::mt19937_64 rng(2);
  const char* domains[] = {"qq.com", "163.com", "Gmail.com", "example.com.cn"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < kInputs; ++i) {
    std::string address = " User.";
    address.append(std::to_string(rng() % 100000000)).append("@");
    address.append(domains[rng() % std::size(domains)]);
    out.push_back(address);
  }
  return out;
}

void run_normalize(benchmark::State& state, identifier_type type,
                   const std::vector<std::string>& inputs) {
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& input = inputs[i++ % inputs.size()];
    auto normalized = banlist::sdk::normalize(type, input);
    if (!normalized) {
      state.SkipWithError("input rejected");
      break;
    }
    benchmark::DoNotOptimize(banlist::sdk::fingerprint_of(type, *normalized, kSeed));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_phone_fast_path_normalize_fingerprint(benchmark::State& state) {
  static const auto inputs = canonical_mobiles();
  if (!banlist::sdk::phone_fast_path_enabled())
    state.SkipWithError("fast path disabled");
  run_normalize(state, identifier_type::phone, inputs);
}
BENCHMARK(BM_phone_fast_path_normalize_fingerprint);

void BM_phone_libphonenumber_normalize_fingerprint(benchmark::State& state) {
  static const auto inputs = canonical_mobiles();
  std::size_t i = 0;
  for (auto _ : state) {
    auto normalized = banlist::sdk::phone_via_libphonenumber(inputs[i++ % inputs.size()]);
    if (!normalized) {
      state.SkipWithError("input rejected");
      break;
    }
    benchmark::DoNotOptimize(
        banlist::sdk::fingerprint_of(identifier_type::phone, *normalized, kSeed));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_phone_libphonenumber_normalize_fingerprint);

void BM_phone_spaced_normalize_fingerprint(benchmark::State& state) {
  static const auto inputs = spaced_mobiles();
  run_normalize(state, identifier_type::phone, inputs);  // not canonical: libphonenumber
}
BENCHMARK(BM_phone_spaced_normalize_fingerprint);

void BM_email_normalize_fingerprint(benchmark::State& state) {
  static const auto inputs = emails();
  run_normalize(state, identifier_type::email, inputs);
}
BENCHMARK(BM_email_normalize_fingerprint);

void BM_fingerprint_only(benchmark::State& state) {
  static const auto inputs = canonical_mobiles();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        banlist::sdk::fingerprint_of(identifier_type::phone, inputs[i++ % inputs.size()], kSeed));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_fingerprint_only);

}  // namespace

BENCHMARK_MAIN();
