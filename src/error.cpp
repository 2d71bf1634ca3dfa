#include "reff/error.h"

namespace reff {

void require(bool condition, const std::string& where, const std::string& what) {
  if (!condition) throw Error(where + ": " + what);
}

}  // namespace reff
