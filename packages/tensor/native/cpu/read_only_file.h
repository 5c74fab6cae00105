// A regular file opened read-only for a native binding, closed on scope exit (mmap.cpp,
// page_cache.cpp). Failures throw a JS Error "<op>: cannot open '<path>': <reason>" or
// "<op>: '<path>' is not a regular file".
#pragma once
#include <fcntl.h>
#include <napi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gptj {

class ReadOnlyFile {
 public:
  ReadOnlyFile(Napi::Env env, const std::string& path, const char* op) {
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw Napi::Error::New(env, std::string(op) + ": cannot open '" + path + "': " + std::strerror(errno));
    struct stat st;
    if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd_);
      throw Napi::Error::New(env, std::string(op) + ": '" + path + "' is not a regular file");
    }
    size_ = static_cast<size_t>(st.st_size);
  }
  ~ReadOnlyFile() { close(fd_); }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  int fd() const { return fd_; }
  size_t size() const { return size_; }

 private:
  int fd_ = -1;
  size_t size_ = 0;
};

}  // namespace gptj
