#include "reff/folder_lock.h"

#include "reff/error.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace reff {
namespace fs = std::filesystem;
namespace {

std::string reason(int error) {
  if (error == EROFS) return "read-only file system";
  if (error == EACCES || error == EPERM) return "not writable: permission denied";
  if (error == ENOSPC) return "disk full";
  return std::strerror(error);
}

bool holds_files(const std::string& dir) {
  std::error_code error;
  return fs::is_directory(dir, error) && !fs::is_empty(dir, error);
}

bool is_foreign(const std::string& dir, const std::vector<std::string>& own_files) {
  if (!holds_files(dir) || fs::exists(fs::path(dir) / kLockFile)) return false;
  for (const auto& name : own_files)
    if (fs::exists(fs::path(dir) / name)) return false;
  return true;
}

// The holder's line, which it writes right after taking the lock: read again for a moment when
// the file is still empty.
std::string holder_of(const std::string& path) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    if (!line.empty()) return line;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "another process";
}

std::string now_hh_mm_ss() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

// What this process says it is in a lock file: the program and its subcommand words
// ("reff annotator train"), read from /proc/self/cmdline.
std::string lock_holder_name() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::string name;
  for (size_t start = 0; start < all.size();) {
    const size_t end = std::min(all.find('\0', start), all.size());
    std::string word = all.substr(start, end - start);
    if (name.empty()) {
      word = fs::path(word).filename().string();
    } else if (word.empty() || word[0] == '-' || word.find('/') != std::string::npos) {
      break;  // the options and paths are not the command's name
    }
    name += (name.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return name.empty() ? "a reff process" : name;
}

[[noreturn]] void throw_lock_error(const std::string& dir, int error) {
  if (error == EWOULDBLOCK)
    throw FolderInUse(dir + ": in use by " + holder_of((fs::path(dir) / kLockFile).string()));
  throw Error(dir + ": cannot lock (" + reason(error) + ")");
}

}  // namespace

void require_not_in_use(const std::string& dir) {
  const auto path = (fs::path(dir) / kLockFile).string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // never locked
  const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
  const int error = errno;
  ::close(fd);
  if (!free) throw_lock_error(dir, error);
}

std::optional<FolderLock> lock_if_writer(bool writes, const std::string& dir,
                                         const std::vector<std::string>& own_files) {
  if (!writes) return std::nullopt;
  return std::optional<FolderLock>(std::in_place, dir, own_files);
}

FolderLock::FolderLock(const std::string& dir, const std::vector<std::string>& own_files)
    : dir_(dir) {
  REFF_REQUIRE(!is_foreign(dir, own_files), dir,
               "holds files that reff did not write; choose another folder (a new or empty one)");
  std::error_code error;
  made_folder_ = !fs::exists(dir, error);
  fs::create_directories(dir, error);
  REFF_REQUIRE(!error, dir, "cannot create the folder (" + error.message() + ")");
  const auto path = (fs::path(dir) / kLockFile).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int opened = errno;
    if (made_folder_) fs::remove(dir, error);
    throw Error(dir + ": cannot write here (" + reason(opened) + ")");
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int locked = errno;
    ::close(fd_);
    fd_ = -1;
    throw_lock_error(dir, locked);
  }
  const std::string line = lock_holder_name() + " (pid " + std::to_string(::getpid()) + ") since " +
                           now_hh_mm_ss() + "\n";
  const bool written = ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, line.data(), line.size(), 0) ==
                                                       static_cast<ssize_t>(line.size());
  if (!written) {
    const int failed = errno;
    release();
    throw Error(dir + ": cannot write here (" + reason(failed) + ")");
  }
}

FolderLock::~FolderLock() { release(); }

void FolderLock::release() noexcept {
  if (fd_ < 0) return;
  std::error_code error;
  if (made_folder_) {
    // Only the lock file inside: the command wrote nothing, so the folder goes again (the file
    // is unlinked before the lock is released).
    bool only_lock = true;
    for (const auto& entry : fs::directory_iterator(dir_, error))
      only_lock = only_lock && entry.path().filename() == kLockFile;
    if (only_lock && !error) {
      fs::remove(fs::path(dir_) / kLockFile, error);
      fs::remove(dir_, error);
    }
  }
  ::close(fd_);
  fd_ = -1;
}

}  // namespace reff
