// reff's exception types. Bad input (a file, a field, an option) is an `Error`: the command line
// prints "error: <what>" and exits 2. Anything else that goes wrong exits 1.
#pragma once

#include <stdexcept>
#include <string>

namespace reff {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Throws Error("<where>: <what>").
[[noreturn]] void fail(const std::string& where, const std::string& what);

}  // namespace reff

// Throws reff::Error("<where>: <what>") unless `condition` holds. `where` and `what` are evaluated
// only then, so a check on a hot path costs its comparison alone. Stays on in release builds.
#define REFF_REQUIRE(condition, where, what)         \
  do {                                               \
    if (!(condition)) ::reff::fail((where), (what)); \
  } while (false)
