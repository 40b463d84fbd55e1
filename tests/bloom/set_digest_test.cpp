#include "banlist/bloom/set_digest.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include "random_fingerprints.hpp"

using banlist::fingerprint;
using banlist::bloom::set_digest;
using banlist::bloom::test::random_fingerprints;

TEST_CASE("set_digest starts at zero and toggling twice is the identity", "[bloom]") {
  set_digest digest;
  CHECK(digest.value == fingerprint{0, 0});
  const fingerprint a{0x0123456789abcdef, 0xfedcba9876543210};
  digest.toggle(a);
  CHECK(digest.value == a);
  const fingerprint b{0xffff0000ffff0000, 0x1};
  digest.toggle(b);
  CHECK(digest.value ==
        fingerprint{0x0123456789abcdef ^ 0xffff0000ffff0000, 0xfedcba9876543210 ^ 0x1});
  digest.toggle(b);
  CHECK(digest.value == a);
  digest.toggle(a);
  CHECK(digest == set_digest{});
}

TEST_CASE("set_digest does not depend on the order of changes", "[bloom]") {
  random_fingerprints source(2024);
  std::vector<fingerprint> fps = source.take(1000);
  const set_digest forward = set_digest::of(fps);
  std::reverse(fps.begin(), fps.end());
  CHECK(set_digest::of(fps) == forward);
  std::sort(fps.begin(), fps.end());
  CHECK(set_digest::of(fps) == forward);
  CHECK(forward != set_digest{});

  // Ban all, then lift the first 100 in another order: equals the digest of the rest.
  set_digest live = forward;
  std::vector<fingerprint> lifted(fps.begin(), fps.begin() + 100);
  std::reverse(lifted.begin(), lifted.end());
  for (const fingerprint& fp : lifted)
    live.toggle(fp);
  CHECK(live == set_digest::of(std::span<const fingerprint>(fps).subspan(100)));
}
