// Things a user should know that are not errors: a fallback taken (a damaged checkpoint skipped
// for the one before it), part of a file replaced (a pretrained head of another size). The library
// never writes to std::cerr; it hands these to the sink the program sets (the command line prints
// "reff: <message>" on stderr). Without a sink they are dropped.
#pragma once

#include <functional>
#include <string>

namespace reff {

using NoticeSink = std::function<void(const std::string& message)>;

void set_notice_sink(NoticeSink sink);  // once, at start-up, before any other thread runs
void notice(const std::string& message);

}  // namespace reff
