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

// Throws Error("<where>: <what>") unless `condition` holds. Stays on in release builds.
void require(bool condition, const std::string& where, const std::string& what);

}  // namespace reff
