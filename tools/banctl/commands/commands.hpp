// The commands banctl knows. Each is defined in its own file here and listed
// in main.cpp's command table.
#pragma once

#include "../command.hpp"

namespace banlist::banctl {

// banctl fingerprint TYPE VALUE [--seed N] [--json]
extern const command kFingerprintCommand;

}  // namespace banlist::banctl
