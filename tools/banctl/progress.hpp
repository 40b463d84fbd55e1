// progress: a one-line progress bar with rate and ETA on stderr, drawn only
// when stderr is a terminal (never in logs or pipes), redrawn at most five
// times a second. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace banlist::banctl {

class progress {
 public:
  // `total` 0 means unknown (no bar, no ETA). `enabled` false draws nothing.
  progress(std::ostream& err, std::string label, std::uint64_t total, std::string unit,
           bool enabled);
  // True when stderr (fd 2) is a terminal.
  static bool stderr_is_terminal();

  void update(std::uint64_t done);
  // Draws the final state and ends the line.
  void finish();

 private:
  void draw();

  std::ostream& err_;
  std::string label_;
  std::uint64_t total_;
  std::string unit_;
  bool enabled_;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point drawn_{};
};

}  // namespace banlist::banctl
