#include "banlist/bloom/layout.hpp"

#include <catch2/catch.hpp>

#include <array>

#include "banlist/bloom/filter.hpp"

using banlist::fingerprint;
using namespace banlist::bloom;

namespace {

// The vectors printed in docs/protocol.md (section 2) ("Test vectors"), for a
// filter of 1000 blocks and k = 7. They pin the layout: if either side
// changes, this test fails.
struct layout_vector {
  const char* hex;
  std::uint64_t block;
  std::array<std::uint16_t, 7> positions;
};

constexpr layout_vector kDocVectors[] = {
    {"0123456789abcdeffedcba9876543210", 4, {509, 170, 425, 66, 374, 2, 252}},
    {"ffffffffffffffff0000000000000001", 999, {0, 316, 446, 192, 434, 92, 151}},
    {"8000000000000000a5a5a5a5a5a5a5a5", 500, {331, 156, 12, 176, 471, 241, 142}},
};

}  // namespace

TEST_CASE("block index and probe positions match the documented vectors", "[bloom]") {
  for (const layout_vector& v : kDocVectors) {
    CAPTURE(v.hex);
    const fingerprint fp = *fingerprint::from_hex(v.hex);
    CHECK(block_index(fp.high, 1000) == v.block);
    std::array<std::uint16_t, 7> positions{};
    probe_positions(fp.low, 7, positions);
    CHECK(positions == v.positions);

    // Inserting sets exactly those bits of exactly that block, and nothing else:
    // the serialized payload is a little-endian bitmap, bit p of block b at
    // byte 40 + 64 b + p / 8, bit p % 8.
    auto f = filter::with_geometry(1000, 7, 0);
    REQUIRE(f.has_value());
    f->insert(fp);
    const std::vector<std::uint8_t> bytes = f->serialize();
    std::vector<std::uint8_t> expected_payload(1000 * 64, 0);
    for (const std::uint16_t p : v.positions) {
      expected_payload[v.block * 64 + p / 8] |= static_cast<std::uint8_t>(1u << (p % 8));
    }
    CHECK(std::vector<std::uint8_t>(bytes.begin() + 40, bytes.end()) == expected_payload);
  }
}

TEST_CASE("block index covers the whole range and stays in bounds", "[bloom]") {
  CHECK(block_index(0, 7) == 0);
  CHECK(block_index(~std::uint64_t{0}, 7) == 6);
  CHECK(block_index(std::uint64_t{1} << 63, 2) == 1);
  CHECK(block_index(~std::uint64_t{0}, 1) == 0);
  CHECK(block_index(~std::uint64_t{0}, std::uint64_t{1} << 28) == (std::uint64_t{1} << 28) - 1);
}

TEST_CASE("the block mask holds exactly the probe bits", "[bloom]") {
  const std::uint64_t low = 0xfedcba9876543210;
  std::array<std::uint16_t, 16> positions{};
  probe_positions(low, 16, positions);
  const block_mask mask = make_block_mask(low, 16);
  block_mask expected;
  for (const std::uint16_t p : positions) {
    CHECK(p < 512);
    expected.words[p / 64] |= std::uint64_t{1} << (p % 64);
  }
  for (std::size_t w = 0; w < kWordsPerBlock; ++w)
    CHECK(mask.words[w] == expected.words[w]);
}
