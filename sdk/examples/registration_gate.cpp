// registration_gate: gate sign-ups against the ban list with the banlist SDK.
//
// It keeps a local copy of the list (in STORAGE_DIR), waits until the copy is
// current, then reads one sign-up per line from stdin, "<type> <value>"
// (type: phone, email, id_card, bank_card, device, account, domain, app),
// and prints one decision per line:
//
//   allow   <type> <value>                 not on the list
//   deny    <type> <value> <reason>        banned
//   review  <type> <value> <why>           could not be decided (keep the sign-up for review)
//
// The check is local (nanoseconds, no network). Only in filter mode, a filter
// hit ("maybe") is confirmed online with POST /v1/check, waiting at most 2 s.
//
// Usage: BANLIST_KEY=... registration_gate URL STORAGE_DIR [filter|replica] [CA_FILE]
//   URL: https://banlist.example.com (or http://... for a local test server)
#include <banlist/sdk/client.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

namespace sdk = banlist::sdk;

int main(int argc, char** argv) {
  const char* key = std::getenv("BANLIST_KEY");
  if (argc < 3 || key == nullptr) {
    std::cerr << "usage: BANLIST_KEY=... " << argv[0]
              << " URL STORAGE_DIR [filter|replica] [CA_FILE]\n";
    return 2;
  }
  sdk::client_config config;
  config.url = argv[1];
  config.key = key;
  config.storage_dir = argv[2];
  config.mode = sdk::client_mode::replica;
  if (argc > 3) {
    auto mode = sdk::parse_client_mode(argv[3]);
    if (!mode) {
      std::cerr << "mode must be filter or replica\n";
      return 2;
    }
    config.mode = *mode;
  }
  if (argc > 4)
    config.ca_file = argv[4];

  // 1. Open: loads the copy stored by a previous run (it answers at once).
  auto client = sdk::client::open(config);
  if (!client) {
    std::cerr << "cannot open the client: " << client.error().message() << "\n";
    return 1;
  }
  // 2. Start syncing in the background and wait until the copy is current.
  (*client)->start();
  if (!(*client)->wait_until_current(std::chrono::seconds(30))) {
    const auto status = (*client)->status();
    std::cerr << "not current yet (" << status.last_error << "); answering from seq "
              << status.replica.seq << "\n";
  }

  // 3. Gate each sign-up.
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream fields(line);
    std::string type_name, value;
    fields >> type_name;
    std::getline(fields >> std::ws, value);
    const auto type = sdk::parse_identifier_type(type_name);
    if (!type || value.empty()) {
      std::cout << "review  " << line << " unreadable-line\n";
      continue;
    }
    auto result = (*client)->check(*type, value);
    if (!result) {  // the value does not normalize (e.g. a bad check digit)
      std::cout << "review  " << type_name << " " << value << " invalid-value\n";
      continue;
    }
    if (result->verdict == sdk::check_verdict::maybe) {
      if (auto online = (*client)->check_online(result->fp); online)
        result = *online;
    }
    switch (result->verdict) {
      case sdk::check_verdict::not_banned:
        std::cout << "allow   " << type_name << " " << value << "\n";
        break;
      case sdk::check_verdict::banned:
        std::cout << "deny    " << type_name << " " << value << " "
                  << (result->reason ? sdk::to_string(*result->reason) : "unknown-reason") << "\n";
        break;
      default:  // maybe (not confirmed) or unknown (no copy yet)
        std::cout << "review  " << type_name << " " << value << " "
                  << sdk::to_string(result->verdict) << "\n";
        break;
    }
    std::cout.flush();
  }
  (*client)->stop();  // stores the copy for the next start
  return 0;
}
