#include "reff/error.h"

namespace reff {

void fail(const std::string& where, const std::string& what) { throw Error(where + ": " + what); }

}  // namespace reff
