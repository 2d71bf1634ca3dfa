// Graceful stops for long commands: while a StopOnSignal lives, the first SIGINT or SIGTERM only
// raises a flag that training polls after each step (it then writes a checkpoint and stops); the
// handler is reset, so a second signal ends the process at once.
#pragma once

#include <signal.h>

#include <atomic>

namespace reff::cli {

class StopOnSignal {
 public:
  StopOnSignal() {
    struct sigaction action {};
    action.sa_handler = [](int) { signalled_ = true; };
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~StopOnSignal() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;
  static bool requested() { return signalled_; }

 private:
  inline static std::atomic<bool> signalled_{false};  // constant-initialised: signal-safe
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace reff::cli
