// The history checker judges correctly: it must be able to say "lost",
// "phantom" and "wrong", and must accept either landing of an unknown op.
#include <catch2/catch.hpp>

#include "history_checker.hpp"

using namespace banlist;
using namespace banlist::test;

namespace {
fingerprint fp(std::uint64_t i) {
  return {i, ~i};
}
}  // namespace

TEST_CASE("history checker: acknowledged bans must be there", "[reliability][checker]") {
  history_checker h;
  h.record(fp(1), op_kind::ban, op_outcome::ok);
  h.record(fp(2), op_kind::ban, op_outcome::ok);
  h.record(fp(3), op_kind::ban, op_outcome::failed);
  CHECK(h.judge({fp(1), fp(2)}).clean());
  const verdict missing = h.judge({fp(1)});
  CHECK(missing.lost == 1);
  CHECK_FALSE(missing.clean());
  // A failed ban that landed anyway is not explained by any outcome.
  CHECK(h.judge({fp(1), fp(2), fp(3)}).wrong == 1);
  // A fingerprint nobody tried to ban.
  CHECK(h.judge({fp(1), fp(2), fp(99)}).phantom == 1);
  CHECK(h.must_be_banned() == std::set<fingerprint>{fp(1), fp(2)});
}

TEST_CASE("history checker: unknown outcomes may land either way", "[reliability][checker]") {
  history_checker h;
  h.record(fp(1), op_kind::ban, op_outcome::unknown);
  const verdict landed = h.judge({fp(1)});
  CHECK(landed.clean());
  CHECK(landed.unknown == 1);
  CHECK(landed.unknown_landed == 1);
  const verdict not_landed = h.judge({});
  CHECK(not_landed.clean());
  CHECK(not_landed.unknown_landed == 0);
}

TEST_CASE("history checker: lifts", "[reliability][checker]") {
  history_checker h;
  h.record(fp(1), op_kind::ban, op_outcome::ok);
  h.record(fp(1), op_kind::lift, op_outcome::ok);
  h.record(fp(2), op_kind::ban, op_outcome::ok);
  h.record(fp(2), op_kind::lift, op_outcome::unknown);
  CHECK(h.judge({}).clean());
  CHECK(h.judge({fp(2)}).clean());
  const verdict unlifted = h.judge({fp(1)});
  CHECK(unlifted.wrong == 1);
  CHECK(unlifted.lost == 0);
  CHECK(h.must_be_banned().empty());
}
