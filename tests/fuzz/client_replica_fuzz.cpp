// libFuzzer target: the SDK client's own path for network bytes. The sync
// loop hands a snapshot body to decode_snapshot + local_replica::load_snapshot
// (stored_replica::install_snapshot, without the files), a long-poll body to
// decode_delta_binary / decode_delta_json and a WebSocket message to
// decode_server_message, then the batch to local_replica::apply. This target
// drives a local_replica (both modes) through the same calls with arbitrary
// bytes and checks the client's promises:
//   - a refused snapshot or batch changes nothing (seq, digest, count, answers);
//   - an applied batch leaves seq == to and digest == the batch's digest;
//   - after an applied batch each changed fingerprint answers as its last
//     change says: banned after a ban, not_banned after a lift (both modes:
//     a lift is honoured before the next snapshot).
// Random batches almost never chain or carry the right digest, so each
// decoded batch is also tried "fixed up": epoch, from, seqs and digest made
// to fit the replica, the changes as the input gave them.
//
// Input: byte 0 = mode (bit 0: filter) ; then records [u8 kind][u16 len][len
// bytes]: kind % 3 == 0 a snapshot container (checksum resealed), 1 a binary
// batch (checksum resealed), 2 a text message (JSON batch or stream message).
#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <span>
#include <string_view>
#include <vector>

#include "banlist/bloom/filter.hpp"
#include "banlist/bloom/set_digest.hpp"
#include "banlist/sdk/client_replica.hpp"
#include "banlist/sdk/delta_binary.hpp"
#include "banlist/sdk/delta_json.hpp"
#include "banlist/sdk/snapshot.hpp"
#include "banlist/sdk/subscription.hpp"

namespace {

using namespace banlist::sdk;
using banlist::fingerprint;

constexpr std::uint64_t kEpoch = 0x0123456789abcdef;
constexpr std::uint64_t kSeed = 0x5eed;

void check(bool condition) {
  if (!condition)
    std::abort();
}

// Recomputes the XXH3-64 checksum at offset 8 over [0, 8) + [16, end).
std::vector<std::uint8_t> resealed(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> out(bytes.begin(), bytes.end());
  if (out.size() < 16)
    return out;
  std::vector<std::uint8_t> covered(out.begin(), out.begin() + 8);
  covered.insert(covered.end(), out.begin() + 16, out.end());
  const std::uint64_t sum = XXH3_64bits(covered.data(), covered.size());
  for (int b = 0; b < 8; ++b)
    out[8 + b] = static_cast<std::uint8_t>(sum >> (8 * b));
  return out;
}

std::vector<snapshot_entry> base_entries() {
  std::vector<snapshot_entry> e(3);
  e[0].fp = {1, 1};
  e[1].fp = {2, 0x42};
  e[2].fp = {0xfffffffffffffff0, 7};
  for (auto& x : e) {
    x.type = identifier_type::email;
    x.reason = ban_reason::phishing;
  }
  return e;
}

snapshot base_snapshot(client_mode mode) {
  const auto entries = base_entries();
  std::vector<std::uint8_t> bytes;
  if (mode == client_mode::replica) {
    bytes = encode_snapshot_fps(kEpoch, 3, digest_of(entries), kSeed, entries);
  } else {
    std::vector<fingerprint> fps;
    for (const auto& x : entries)
      fps.push_back(x.fp);
    auto f = banlist::bloom::filter::with_items(fps, 64, 0.001, kSeed);
    check(f.has_value());
    bytes = encode_snapshot_filter(kEpoch, 3, digest_of(entries), *f);
  }
  auto snap = decode_snapshot(bytes);
  check(snap.has_value());
  return std::move(*snap);
}

struct observed {
  replica_status st;
  std::vector<check_verdict> answers;
};

observed observe(const local_replica& r, const std::vector<fingerprint>& probes) {
  observed o{r.status(), {}};
  for (const auto& fp : probes)
    o.answers.push_back(r.check(fp).verdict);
  return o;
}

bool same(const observed& a, const observed& b) {
  return a.st.loaded == b.st.loaded && a.st.epoch == b.st.epoch && a.st.seq == b.st.seq &&
         a.st.digest == b.st.digest && a.st.count == b.st.count && a.answers == b.answers;
}

void apply_checked(local_replica& r, const delta_batch& batch) {
  std::vector<fingerprint> probes;
  for (const auto& c : batch.changes)
    probes.push_back(c.fp);
  for (const auto& e : base_entries())
    probes.push_back(e.fp);
  const observed before = observe(r, probes);
  if (!r.apply(batch)) {
    check(same(before, observe(r, probes)));
    return;
  }
  const replica_status st = r.status();
  check(st.seq == batch.to && st.digest == batch.digest && st.epoch == batch.epoch);
  std::map<fingerprint, change_op> last;
  for (const auto& c : batch.changes)
    last[c.fp] = c.op;
  for (const auto& [fp, op] : last) {
    const check_verdict v = r.check(fp).verdict;
    check(op == change_op::ban ? v == check_verdict::banned : v == check_verdict::not_banned);
  }
}

// The batch made to fit the replica: epoch, from, consecutive seqs, digest.
void apply_fixed_up(local_replica& r, delta_batch batch) {
  const replica_status st = r.status();
  if (!st.loaded || batch.changes.empty())
    return;
  batch.epoch = st.epoch;
  batch.from = st.seq;
  banlist::bloom::set_digest digest{st.digest};
  std::uint64_t seq = st.seq;
  for (auto& c : batch.changes) {
    c.seq = ++seq;
    digest.toggle(c.fp);
  }
  batch.to = seq;
  batch.head = std::max(batch.head, seq);
  batch.digest = digest.value;
  if (!validate(batch))
    return;
  apply_checked(r, batch);
}

void feed_batch(local_replica& r, const delta_batch& batch) {
  apply_checked(r, batch);
  apply_fixed_up(r, batch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1)
    return 0;
  const client_mode mode = (data[0] & 1) ? client_mode::filter : client_mode::replica;
  local_replica replica(mode);
  check(replica.load_snapshot(base_snapshot(mode)).has_value());
  std::size_t at = 1;
  while (at + 3 <= size) {
    const std::uint8_t kind = data[at] % 3;
    const std::size_t len =
        std::min<std::size_t>(data[at + 1] | (data[at + 2] << 8), size - at - 3);
    const std::span<const std::uint8_t> chunk(data + at + 3, len);
    at += 3 + len;
    if (kind == 0) {
      const auto bytes = resealed(chunk);
      auto snap = decode_snapshot(bytes);
      if (!snap)
        continue;
      const std::uint64_t seq = snap->seq, epoch = snap->epoch;
      const fingerprint digest = snap->digest;
      const bool right_kind = (snap->kind == snapshot_kind::fps) == (mode == client_mode::replica);
      const auto before = replica.status();
      if (replica.load_snapshot(std::move(*snap))) {
        check(right_kind);
        const auto st = replica.status();
        check(st.loaded && st.seq == seq && st.epoch == epoch && st.digest == digest &&
              st.changes_since_snapshot == 0);
      } else {
        const auto st = replica.status();
        check(st.seq == before.seq && st.digest == before.digest && st.epoch == before.epoch);
      }
    } else if (kind == 1) {
      const auto bytes = resealed(chunk);
      if (auto batch = decode_delta_binary(bytes))
        feed_batch(replica, *batch);
    } else {
      const std::string_view text(reinterpret_cast<const char*>(chunk.data()), chunk.size());
      if (auto batch = decode_delta_json(text))
        feed_batch(replica, *batch);
      if (auto message = decode_server_message(text)) {
        if (auto* batch = std::get_if<delta_batch>(&*message))
          feed_batch(replica, *batch);
        else if (auto* beat = std::get_if<heartbeat>(&*message))
          replica.note_server_head(beat->head);
      }
    }
  }
  // In replica mode an exact container of the result must decode back to it.
  if (mode == client_mode::replica) {
    auto bytes = replica.encode_exact_snapshot();
    check(bytes.has_value());
    auto snap = decode_snapshot(*bytes);
    check(snap.has_value() && snap->digest == replica.status().digest &&
          snap->count == replica.status().count);
  }
  return 0;
}
