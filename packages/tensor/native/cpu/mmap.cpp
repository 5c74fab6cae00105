// mmapFile: a whole file mapped into memory, handed to JS as external ArrayBuffers over byte ranges.
//
// Mapped MAP_PRIVATE with PROT_READ|PROT_WRITE: the file is never modified, and a stray JS write
// into the Uint8Array copies one page instead of killing the process with SIGSEGV. MAP_NORESERVE
// keeps a writable private mapping of a file larger than RAM from being refused for commit charge
// (only pages actually written would need memory).
// Lifetime: the mapping stays while JS holds it open (until MappedFile.close() or GC of the handle),
// while a view ArrayBuffer is alive, or while a Storage views into it (Tensor.fromBytes); munmap
// happens when all are gone. The small Mapping record itself is kept for the process lifetime
// (finalizers may still run after close()).
// Truncation: each mapping keeps its file open while mapped, so that mapping_check can fstat it before
// every use, and registers its range with the SIGBUS guard (design in mapped_fault.h).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "mapped_fault.h"
#include "mmap_flags.h"
#include "read_only_file.h"
#include "storage.h"

namespace gptj {

struct Mapping {
  uint8_t* base = nullptr;
  size_t len = 0;
  int views = 0;
  bool js_open = true;
  bool unmapped = false;
  int fd = -1;       // the mapped file, open while mapped
  std::string path;  // as given to mmapFile
  FaultRange fault{};
};

static std::vector<Mapping*>& registry() {
  static std::vector<Mapping*> r;
  return r;
}

static void maybe_unmap(Mapping* m) {
  if (m->unmapped || m->js_open || m->views > 0) return;
  fault_guard_remove(&m->fault);
  munmap(m->base, m->len);
  close(m->fd);
  m->fd = -1;
  m->unmapped = true;
  auto& r = registry();
  for (size_t i = 0; i < r.size(); i++)
    if (r[i] == m) {
      r.erase(r.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
}

Mapping* mapping_find(const uint8_t* p, int64_t n) {
  for (Mapping* m : registry())
    if (!m->unmapped && p >= m->base && p + n <= m->base + m->len) return m;
  return nullptr;
}
void mapping_retain(Mapping* m) { m->views++; }

void mapping_check(Napi::Env env, const Mapping* m, const std::string& what) {
  struct stat st;
  if (m->unmapped || fstat(m->fd, &st) != 0 || static_cast<size_t>(st.st_size) >= m->len) return;
  Napi::Error e =
      Napi::Error::New(env, what + " lies in '" + m->path + "', which was truncated while memory-mapped (" +
                                std::to_string(m->len) + " bytes mapped, " + std::to_string(st.st_size) +
                                " now): its tensors can no longer be read. Do not modify a checkpoint in place "
                                "while it is loaded, or load with --no-mmap / mmap: false to read it into memory");
  e.Set("code", "GPTJ_MAPPED_FILE_TRUNCATED");
  e.Set("path", m->path);
  throw e;
}
void mapping_release(Mapping* m) {
  m->views--;
  maybe_unmap(m);
}

// Views are handed out per range, never one ArrayBuffer over the whole file: Node 20 cannot make a
// typed array over more than 2^32 bytes, and a checkpoint shard can be 24 GB.

static Mapping* unwrap_handle(Napi::Env env, const Napi::Value& v, const char* op) {
  if (!v.IsExternal()) throw_type(env, std::string(op) + ": expected the handle returned by mmapOpen");
  return v.As<Napi::External<Mapping>>().Data();
}

// mmapOpen(path: string): { handle: External, size: number }
static Napi::Value MmapOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_type(env, "mmapFile: path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  ReadOnlyFile f(env, path, "mmapFile");
  auto* m = new Mapping();
  m->len = f.size();
  if (m->len > 0) {
    void* p = mmap(nullptr, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | kMapNoReserve, f.fd(), 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      delete m;
      throw Napi::Error::New(env, "mmapFile: cannot map '" + path + "': " + std::strerror(err));
    }
    m->fd = fcntl(f.fd(), F_DUPFD_CLOEXEC, 0);
    if (m->fd < 0) {
      const int err = errno;
      munmap(p, m->len);
      delete m;
      throw Napi::Error::New(env, "mmapFile: cannot keep '" + path + "' open: " + std::strerror(err));
    }
    // Ask for huge pages: on kernels whose filesystem caches files in large folios (ext4 from 6.16, xfs),
    // reads then fault in 2 MiB mappings. Streaming 12 GB of weights through 4 KiB pages costs a page walk
    // per 4 KiB, and under a hypervisor's nested paging that made decode GEMV 4x slower (10 vs 44 GB/s).
    advise_huge_pages(p, m->len);
    m->base = static_cast<uint8_t*>(p);
    m->path = path;
    m->fault = FaultRange{m->base, m->len, m->path.c_str()};
    fault_guard_add(&m->fault);
    registry().push_back(m);
  } else {
    m->unmapped = true;  // nothing to map; the record only answers size and empty views
  }
  // The handle's finalizer is the safety net for a MappedFile dropped without close().
  auto handle = Napi::External<Mapping>::New(env, m, [](Napi::Env, Mapping* mp) {
    if (mp->js_open) {
      mp->js_open = false;
      maybe_unmap(mp);
    }
  });
  Napi::Object out = Napi::Object::New(env);
  out.Set("handle", handle);
  out.Set("size", Napi::Number::New(env, static_cast<double>(m->len)));
  return out;
}

// mmapView(handle, offset, length[, populate = true]): ArrayBuffer (external, zero-copy over [offset, offset + length)).
// Each view holds a count on the mapping, so the pages outlive close() while JS can still reach them.
// The view's pages are mapped before it is returned (populate_pages, mmap_flags.h): a view is taken to be read whole.
// populate false leaves them to be faulted in as read: for a view read only in part (an embedding table's rows).
static Napi::Value MmapView(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) throw_type(env, "mmapView: expected (handle, offset, length)");
  Mapping* m = unwrap_handle(env, info[0], "mmapView");
  if (!m->js_open) throw Napi::Error::New(env, "mmapFile: the file has been closed");
  mapping_check(env, m, "mmapFile: a view");
  if (!info[1].IsNumber() || !info[2].IsNumber()) throw_type(env, "mmapView: offset and length must be numbers");
  const double off = info[1].As<Napi::Number>().DoubleValue(), len = info[2].As<Napi::Number>().DoubleValue();
  if (!(off >= 0 && len >= 0 && off == static_cast<double>(static_cast<int64_t>(off)) &&
        len == static_cast<double>(static_cast<int64_t>(len)) && off + len <= static_cast<double>(m->len)))
    throw Napi::RangeError::New(env, "mmapFile: view [" + std::to_string(off) + ", +" + std::to_string(len) +
                                         ") is outside the file (" + std::to_string(m->len) + " bytes)");
  if (len > 4294967295.0) throw Napi::RangeError::New(env, "mmapFile: a view is limited to 4 GiB - 1 bytes");
  if (info.Length() > 3 && !info[3].IsUndefined() && !info[3].IsBoolean())
    throw_type(env, "mmapView: populate must be a boolean");
  const bool populate = info.Length() < 4 || !info[3].IsBoolean() || info[3].As<Napi::Boolean>().Value();
  if (len == 0) return Napi::ArrayBuffer::New(env, 0);
  if (populate) populate_pages(m->base + static_cast<size_t>(off), static_cast<size_t>(len));
  mapping_retain(m);
  return Napi::ArrayBuffer::New(
      env, m->base + static_cast<size_t>(off), static_cast<size_t>(len),
      [](Napi::Env, void*, Mapping* mp) { mapping_release(mp); }, m);
}

// mmapClose(handle): no new views; unmaps now unless views or tensors still use the pages.
static Napi::Value MmapClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) throw_type(env, "mmapClose: expected the handle returned by mmapOpen");
  Mapping* m = unwrap_handle(env, info[0], "mmapClose");
  if (m->js_open) {
    m->js_open = false;
    maybe_unmap(m);
  }
  return env.Undefined();
}

void InitMmap(Napi::Env env, Napi::Object exports) {
  exports.Set("mmapOpen", Napi::Function::New(env, MmapOpen));
  exports.Set("mmapView", Napi::Function::New(env, MmapView));
  exports.Set("mmapClose", Napi::Function::New(env, MmapClose));
}

}  // namespace gptj
