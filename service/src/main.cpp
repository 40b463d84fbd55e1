// banlistd: parses the configuration, starts the server, waits for a signal.
// Wiring only; everything else is in banlist_service.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
  using namespace banlist::service;
  // Large buffers (a scan's runs, a filter being built, a batch's answer)
  // come and go; glibc's default raises its mmap threshold to the size of
  // the last one freed, after which such buffers are carved from the heap
  // and their pages stay resident when freed. A fixed threshold keeps every
  // buffer of 1 MiB and up mmapped, so its pages go back to the system when
  // it is freed (docs/decisions.md, "Memory at a cold start").
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // Fixing that threshold also fixes the heap's trim threshold at 128 KiB:
  // freeing a batch check's request (~420 KB) or answer (~600 KB) handed
  // their pages back and the next request faulted them in again (~12 % of
  // a JSON batch check's CPU). Up to 4 MiB of free heap top stays resident
  // per arena instead.
  mallopt(M_TRIM_THRESHOLD, 4 << 20);
  std::vector<std::string> args(argv, argv + argc);
  auto parsed = parse_config(args, [](const char* name) { return std::getenv(name); });
  if (!parsed) {
    std::fprintf(stderr, "banlistd: %s (see --help)\n", parsed.error().c_str());
    return 2;
  }
  if (parsed->show_help) {
    std::fputs(parsed->help_text.c_str(), stdout);
    return 0;
  }
  const service_config config = parsed->config;
  auto started = server::start(config, server::options{.handle_signals = true});
  if (!started) {
    std::fprintf(stderr, "banlistd: %s\n", started.error().c_str());
    return 1;
  }
  server& s = **started;
  std::fprintf(stderr, "banlistd: listening on %s://%s:%u (%u threads)\n",
               s.tls() ? "https" : "http", config.listen_host.c_str(),
               static_cast<unsigned>(s.port()), config.threads);
  if (s.embedded_redis()) {
    std::fprintf(stderr, "banlistd: embedded redis-server (AOF, appendfsync always), data in %s\n",
                 config.data_dir.c_str());
  }
  if (config.admin_key.empty()) {
    std::fprintf(stderr,
                 "banlistd: no admin key configured. Restart with BANLIST_ADMIN_KEY=<secret of "
                 "16+ characters> to register one,\n          then issue keys with POST /v1/keys "
                 "(Authorization: Bearer <secret>).\n");
  }
  auto outcome = s.wait();
  started->reset();
  if (!outcome) {
    std::fprintf(stderr, "banlistd: %s\n", outcome.error().c_str());
    return 1;
  }
  return 0;
}
