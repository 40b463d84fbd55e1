// The commands banctl knows. Each is defined in its own file here and listed
// in main.cpp's command table.
#pragma once

#include "../command.hpp"

namespace banlist::banctl {

extern const command kBanCommand;
extern const command kLiftCommand;
extern const command kShowCommand;
extern const command kHistoryCommand;
extern const command kListCommand;
extern const command kImportCommand;
extern const command kLiftBulkCommand;
extern const command kExportCommand;
extern const command kKeysCommand;
extern const command kAuditCommand;
extern const command kReportsCommand;
extern const command kBulletinsCommand;
extern const command kStatusCommand;
// banctl fingerprint TYPE VALUE [--seed N] [--json]
extern const command kFingerprintCommand;

}  // namespace banlist::banctl
