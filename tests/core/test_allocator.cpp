// keep_freed_memory: a block freed and asked for again comes back without the kernel faulting its
// pages in anew (the cost it removes from every training step: allocator.h).
#include "reff/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include <sys/resource.h>

// AddressSanitizer replaces malloc: the test is glibc's.
#if defined(__SANITIZE_ADDRESS__)
#define REFF_OWN_MALLOC
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REFF_OWN_MALLOC
#endif
#endif

namespace reff {
namespace {

// Minor page faults while a block of `bytes` is taken, written and freed.
long faults_for_a_block(size_t bytes) {
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  auto* block = static_cast<char*>(std::malloc(bytes));
  std::memset(block, 1, bytes);
  asm volatile("" : : "r"(block) : "memory");  // the writes happen
  std::free(block);
  getrusage(RUSAGE_SELF, &after);
  return after.ru_minflt - before.ru_minflt;
}

TEST(Allocator, AFreedBlockIsReusedWithoutPageFaults) {
#if defined(REFF_OWN_MALLOC) || !defined(__GLIBC__)
  GTEST_SKIP() << "glibc's malloc only";
#endif
  keep_freed_memory();
  const size_t bytes = 16 << 20;  // a cpu-preset evaluation batch's activations: 4,096 pages
  faults_for_a_block(bytes);      // the first time the pages come from the kernel
  EXPECT_LT(faults_for_a_block(bytes), 64);
}

}  // namespace
}  // namespace reff
