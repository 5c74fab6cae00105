// Native memory behind every CPU tensor, and the argument checks every binding uses.
//
// Storage design: each CPU tensor's bytes live in one `Storage`, a Napi::ObjectWrap that owns (or
// borrows) a contiguous native block. Three kinds:
//   owned    64-byte aligned block from host_alloc (a caching allocator, see host_alloc.h);
//            reported to V8 with AdjustExternalMemory while in use.
//   borrowed a zero-copy view into a JS ArrayBuffer (Tensor.fromBytes); holds a strong reference to
//            that ArrayBuffer so it cannot be collected, and re-checks it is not detached on each use.
//   mapped   a zero-copy view into a file mapping made by mmapFile; holds a count on the mapping so
//            MappedFile.close() unmaps only once the last view is freed.
// free() releases now (JS Tensor.dispose); the ObjectWrap destructor is the GC safety net. A storage
// pinned by an in-flight AsyncWorker defers the release until the worker is done.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/args.h"  // argument readers, DType and the q8 layout (common/dtype.h); q4 layout: q4.h

namespace gptj {

struct Mapping;  // mmap.cpp

class Storage : public Napi::ObjectWrap<Storage> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // new Storage(byteLength: number, zero: boolean) | new Storage(bytes: Uint8Array)
  explicit Storage(const Napi::CallbackInfo& info);
  ~Storage() override;

  uint8_t* data() const { return data_; }
  int64_t bytes() const { return bytes_; }
  bool freed() const { return freed_; }
  // Throws a JS error if the memory is gone (freed, its ArrayBuffer detached, its mapped file truncated;
  // the last only with check_file: a caller checking many storages of one file checks the file once).
  void check_live(const char* op, const char* what, bool check_file = true);
  const Mapping* mapping() const { return mapping_; }  // the file mapping it views, or null
  void pin() { ++pins_; }
  void unpin();

 private:
  Napi::Value ByteLength(const Napi::CallbackInfo& info);
  Napi::Value Freed(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);  // write(byteOffset, src: TypedArray)
  Napi::Value Read(const Napi::CallbackInfo& info);   // read(byteOffset, dst: TypedArray)
  void release();

  uint8_t* data_ = nullptr;
  int64_t bytes_ = 0;
  size_t capacity_ = 0;  // owned kind: size of the host_alloc block
  bool owned_ = false;
  bool freed_ = false;
  bool free_requested_ = false;
  int pins_ = 0;
  Napi::Reference<Napi::ArrayBuffer> borrowed_;  // borrowed kind
  Mapping* mapping_ = nullptr;                   // mapped kind
  Napi::Env env_;
};

// ---- argument checks (throw Napi::TypeError / RangeError; never abort; the rest in common/args.h) ----
// Upper bound for any element count, offset or stride passed from JS (2^50: far past any real tensor,
// small enough that products computed in double stay exact).
constexpr int64_t kMaxElems = int64_t(1) << 50;

// Largest element offset reachable with these shape/strides, plus one (0 for an empty shape): the
// elements a strided view needs its storage to hold.
inline double strided_extent(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  double e = 0;
  for (size_t i = 0; i < shape.size(); i++) {
    if (shape[i] == 0) return 0;
    e += static_cast<double>(shape[i] - 1) * static_cast<double>(strides[i]);
  }
  return e + 1;
}

// Element offsets, under two stride sets, of row r of `shape`: the row is every dim but the last,
// counted row-major (the last dim is the caller's inner loop).
inline void strided_row_offsets(int64_t r, const std::vector<int64_t>& shape, const std::vector<int64_t>& sa,
                                const std::vector<int64_t>& sb, int64_t* oa, int64_t* ob) {
  int64_t a = 0, b = 0;
  for (size_t d = shape.size() - 1; d-- > 0;) {
    const int64_t idx = r % shape[d];
    r /= shape[d];
    a += idx * sa[d];
    b += idx * sb[d];
  }
  *oa = a;
  *ob = b;
}

// The Storage v (type-tagged, live), holding at least need_bytes bytes.
Storage* as_storage(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what, double need_bytes);
Storage* arg_storage(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, double need_bytes);

// Pointers of a q8 matrix [rows, cols] inside a storage.
inline const int8_t* q8_values(Storage* s) { return reinterpret_cast<const int8_t*>(s->data()); }
inline const float* q8_scales(Storage* s, int64_t rows, int64_t cols) {
  return reinterpret_cast<const float*>(s->data() + q8_scales_offset(rows, cols));
}

// Mapping hooks used by Storage (implemented in mmap.cpp).
Mapping* mapping_find(const uint8_t* p, int64_t n);  // mapping that contains [p, p+n), or null
void mapping_retain(Mapping* m);
void mapping_release(Mapping* m);
// Throws a JS Error (code GPTJ_MAPPED_FILE_TRUNCATED, `path`) saying that `what` lies in a file that is
// now shorter than its mapping (mapped_fault.h); nothing if it is intact.
void mapping_check(Napi::Env env, const Mapping* m, const std::string& what);

// One kernel at a time: the thread pool serves one caller, and an AsyncWorker may be running.
std::mutex& compute_mutex();

void InitStorage(Napi::Env env, Napi::Object exports);
void InitMmap(Napi::Env env, Napi::Object exports);
void InitPageCache(Napi::Env env, Napi::Object exports);
void InitElementwise(Napi::Env env, Napi::Object exports);
void InitNorm(Napi::Env env, Napi::Object exports);
void InitAttention(Napi::Env env, Napi::Object exports);
void InitShape(Napi::Env env, Napi::Object exports);
void InitIndex(Napi::Env env, Napi::Object exports);
void InitLinalg(Napi::Env env, Napi::Object exports);
void InitCast(Napi::Env env, Napi::Object exports);
void InitBandwidth(Napi::Env env, Napi::Object exports);
void InitGPTJRunner(Napi::Env env, Napi::Object exports);

}  // namespace gptj
