#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <ostream>

namespace banlist::banctl {

progress::progress(std::ostream& err, std::string label, std::uint64_t total, std::string unit,
                   bool enabled)
    : err_(err),
      label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(enabled) {}

bool progress::stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

void progress::update(std::uint64_t done) {
  done_ = done;
  if (!enabled_)
    return;
  const auto now = std::chrono::steady_clock::now();
  if (now - drawn_ < std::chrono::milliseconds(200))
    return;
  drawn_ = now;
  draw();
}

void progress::finish() {
  if (!enabled_)
    return;
  draw();
  err_ << "\n";
}

void progress::draw() {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
  char line[200];
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '.');
    const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done_, total_)) / rate : 0;
    std::snprintf(line, sizeof line, "\r%s [%s] %3.0f%% %llu/%llu %s  %.0f/s  ETA %02d:%02d ",
                  label_.c_str(), bar.c_str(), fraction * 100,
                  static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_),
                  unit_.c_str(), rate, static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  } else {
    std::snprintf(line, sizeof line, "\r%s %llu %s  %.0f/s  %.0f s ", label_.c_str(),
                  static_cast<unsigned long long>(done_), unit_.c_str(), rate, seconds);
  }
  err_ << line << std::flush;
}

}  // namespace banlist::banctl
