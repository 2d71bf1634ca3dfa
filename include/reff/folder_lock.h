// One writer per output folder. A `FolderLock` is an exclusive OS lock (flock) on the file
// `.reff-lock` inside the folder, taken before anything else is written there and held until the
// object is destroyed or the process ends: the kernel releases it when a process dies, so a killed
// run never leaves a stale lock. The file names its holder ("reff train (pid 1234) since
// 14:02:11"); a second writer is refused with that name. Readers (eval, explain, export) take no
// lock: every file a run writes is replaced atomically (temporary file, then rename).
#pragma once

#include "reff/error.h"

#include <optional>
#include <string>
#include <vector>

namespace reff {

constexpr const char* kLockFile = ".reff-lock";

// The error of a folder another process holds: bad input for a command, a cue to take another
// cell for `reff tune`.
class FolderInUse : public Error {
 public:
  using Error::Error;
};

class FolderLock {
 public:
  // Claims `dir` (made when missing) for this process. `own_files` are the names a folder of this
  // kind holds (e.g. config.json): an existing folder that holds files but neither these nor a lock
  // file belongs to someone else and is refused. Throws Error when the folder cannot be made or
  // written, is foreign, or is held by another process (FolderInUse: "DIR: in use by reff train
  // (pid 1234) since 14:02:11").
  FolderLock(const std::string& dir, const std::vector<std::string>& own_files);
  // Releases the lock. A folder this lock made that holds nothing but the lock file (the command
  // failed before writing) is removed again, so bad input leaves nothing behind.
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  void release() noexcept;

  std::string dir_;
  int fd_ = -1;
  bool made_folder_ = false;
};

// A FolderLock on `dir` in the process that writes it (rank 0 of a distributed run); none where
// `writes` is false.
std::optional<FolderLock> lock_if_writer(bool writes, const std::string& dir,
                                         const std::vector<std::string>& own_files);

// Throws the FolderLock's "in use by" error when another process holds `dir`: for a command that
// reads a folder's files before it claims the folder (--resume reads the run's config first).
void require_not_in_use(const std::string& dir);

}  // namespace reff
