#include "reff/notice.h"

#include <utility>

namespace reff {
namespace {

NoticeSink& sink() {
  static NoticeSink installed;
  return installed;
}

}  // namespace

void set_notice_sink(NoticeSink sink_to_use) { sink() = std::move(sink_to_use); }

void notice(const std::string& message) {
  if (sink()) sink()(message);
}

}  // namespace reff
