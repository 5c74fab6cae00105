// The kernel's page cache for one file: how much of it is resident, and dropping it.
//
// Why: a checkpoint written moments ago (download, convert) sits in the page cache in 4 KiB folios,
// and a later mmap of it is then served from those, 4 KiB pages, even with MADV_HUGEPAGE: GPT-J 6B
// decode read its weights at about 10 GB/s instead of 60-75 (1.2-1.7 s per token on the issue-3
// host). Written back and dropped, the file is read again on its first load, and kernels that cache
// files in large folios (ext4 from 6.16, xfs) then map it in 2 MiB pages.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "read_only_file.h"
#include "storage.h"

namespace gptj {
namespace {

std::string path_arg(const Napi::CallbackInfo& info, const char* op) {
  if (info.Length() < 1 || !info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty())
    throw_type(info.Env(), std::string(op) + ": path must be a non-empty string");
  return info[0].As<Napi::String>().Utf8Value();
}

// dropFileCache(path): writes the file's dirty pages back (fdatasync), then asks the kernel to drop
// its cached pages (POSIX_FADV_DONTNEED; pages mapped by a process stay). Linux only: macOS has no
// posix_fadvise, and its nearest calls (F_NOCACHE, F_FULLFSYNC) do not drop a file's cached pages.
Napi::Value DropFileCache(const Napi::CallbackInfo& info) {
  const char* op = "dropFileCache";
  const std::string path = path_arg(info, op);
#if !defined(__linux__)
  throw Napi::Error::New(info.Env(), std::string(op) +
                                         ": not supported on this platform (needs Linux's "
                                         "posix_fadvise POSIX_FADV_DONTNEED); '" +
                                         path + "' was left as it is");
#else
  ReadOnlyFile f(info.Env(), path, op);
  if (fdatasync(f.fd()) != 0)
    throw Napi::Error::New(info.Env(), std::string(op) + ": cannot write '" + path + "' back: " + std::strerror(errno));
  const int e = posix_fadvise(f.fd(), 0, 0, POSIX_FADV_DONTNEED);
  if (e != 0) throw Napi::Error::New(info.Env(), std::string(op) + ": '" + path + "': " + std::strerror(e));
  return info.Env().Undefined();
#endif
}

// fileCacheResidency(path): { size, resident } in bytes (resident counts whole pages, mincore).
Napi::Value FileCacheResidency(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "fileCacheResidency";
  const std::string path = path_arg(info, op);
  ReadOnlyFile f(env, path, op);
  size_t resident = 0;
  if (f.size() > 0) {
    void* p = mmap(nullptr, f.size(), PROT_READ, MAP_SHARED, f.fd(), 0);
    if (p == MAP_FAILED)
      throw Napi::Error::New(env, std::string(op) + ": cannot map '" + path + "': " + std::strerror(errno));
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    // One status byte per page: unsigned char on Linux, char on macOS and the BSDs.
#if defined(__linux__)
    std::vector<unsigned char> in((f.size() + page - 1) / page);
#else
    std::vector<char> in((f.size() + page - 1) / page);
#endif
    const int rc = mincore(p, f.size(), in.data());
    const int err = errno;
    munmap(p, f.size());
    if (rc != 0) throw Napi::Error::New(env, std::string(op) + ": mincore on '" + path + "': " + std::strerror(err));
    for (unsigned char c : in) resident += (c & 1) ? page : 0;
    if (resident > f.size()) resident = f.size();  // the last page is partial
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("size", Napi::Number::New(env, static_cast<double>(f.size())));
  out.Set("resident", Napi::Number::New(env, static_cast<double>(resident)));
  return out;
}

}  // namespace

void InitPageCache(Napi::Env env, Napi::Object exports) {
  exports.Set("dropFileCache", Napi::Function::New(env, DropFileCache));
  exports.Set("fileCacheResidency", Napi::Function::New(env, FileCacheResidency));
}

}  // namespace gptj
