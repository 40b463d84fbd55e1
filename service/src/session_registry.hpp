// session_registry: the open HTTP connections, so the listener can enforce
// max-connections and shutdown can close the idle ones.
//
// Thread-safety: all members may be called from any thread; the map is
// guarded by mutex_. close_idle() calls into sessions, which post to their
// own strands.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace banlist::service {

// What shutdown needs from a session.
class closable_session {
 public:
  virtual ~closable_session() = default;
  // Closes the connection now if it waits for a request; otherwise lets the
  // request in flight finish and closes after its response.
  virtual void close_when_idle() = 0;
};

class session_registry {
 public:
  std::uint64_t add(std::weak_ptr<closable_session> session) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_id_++;
    sessions_.emplace(id, std::move(session));
    return id;
  }
  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }
  void close_idle() {
    std::vector<std::shared_ptr<closable_session>> live;
    {
      std::lock_guard lock(mutex_);
      for (auto& [id, weak] : sessions_) {
        if (auto s = weak.lock())
          live.push_back(std::move(s));
      }
    }
    for (auto& s : live)
      s->close_when_idle();
  }

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;  // guarded by mutex_
  std::unordered_map<std::uint64_t, std::weak_ptr<closable_session>>
      sessions_;  // guarded by mutex_
};

}  // namespace banlist::service
