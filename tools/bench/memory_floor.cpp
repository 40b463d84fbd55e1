// memory_floor: what one random memory access costs on this machine, the
// floor under any lookup in a table far larger than the caches (the 10M-ban
// replica table is ~200 MB). Two loops over a 256 MiB buffer, timed in
// thread CPU time (so that time-slicing on a shared machine is not counted):
//   - dependent: each load's address comes from the previous load (a random
//     cyclic walk over the cache lines): the full latency of a miss;
//   - independent: addresses from a PRNG: misses overlap, the throughput.
// Run as `memory_floor` (2 MiB pages advised, MADV_HUGEPAGE) and
// `memory_floor 4k` (MADV_NOHUGEPAGE: a page walk per access as well).
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string_view>
#include <vector>

namespace {

double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  const bool huge = !(argc > 1 && std::string_view(argv[1]) == "4k");
  constexpr std::size_t kBytes = std::size_t{256} << 20;
  constexpr std::size_t kWords = kBytes / 8;
  constexpr std::size_t kLines = kBytes / 64;
  auto* words = static_cast<std::uint64_t*>(std::aligned_alloc(std::size_t{2} << 20, kBytes));
  if (words == nullptr)
    return 1;
  ::madvise(words, kBytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  std::vector<std::uint32_t> order(kLines);
  for (std::size_t i = 0; i < kLines; ++i)
    order[i] = static_cast<std::uint32_t>(i);
  std::mt19937_64 rng(1);
  std::shuffle(order.begin(), order.end(), rng);
  for (std::size_t i = 0; i < kLines; ++i)
    words[std::size_t{order[i]} * 8] = std::uint64_t{order[(i + 1) % kLines]} * 8;

  constexpr std::size_t kIterations = 10'000'000;
  for (int round = 0; round < 3; ++round) {
    double t0 = cpu_ns();
    std::uint64_t at = 0;
    for (std::size_t i = 0; i < kIterations; ++i)
      at = words[at];
    const double dependent = (cpu_ns() - t0) / kIterations;
    t0 = cpu_ns();
    std::uint64_t sum = 0;
    std::uint64_t x = 88172645463325252ULL;
    for (std::size_t i = 0; i < kIterations; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      sum += words[x % kWords];
    }
    const double independent = (cpu_ns() - t0) / kIterations;
    std::printf("%s pages: dependent %.1f ns, independent %.1f ns per access (%llu)\n",
                huge ? "2 MiB" : "4 KiB", dependent, independent,
                static_cast<unsigned long long>(at ^ sum));
  }
  std::free(words);
  return 0;
}
