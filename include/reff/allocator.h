// How freed tensor memory is kept. glibc's malloc serves every block above its mmap threshold
// (128 KiB at first, rising to at most 32 MiB) with a fresh mmap and unmaps it when freed, so each
// training step's and each evaluation batch's activations page-fault in anew, zero-filled by the
// kernel: a third of a cpu-preset baseline step's wall time went to the kernel
// (docs/results/performance.md). The command line and the benchmarks keep such memory instead; a
// Python user's process keeps its own allocator settings.
#pragma once

namespace reff {

// Blocks up to 32 MiB (glibc's largest threshold) from the heap, and freed memory returned to the
// kernel only when over 1 GiB of it lies at the heap's top. Without glibc it does nothing.
void keep_freed_memory();

}  // namespace reff
