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

namespace gptj {

enum class DType : int { F32 = 0, F16 = 1, BF16 = 2, Q8 = 3, I32 = 4, Q4 = 5 };  // q4 layout: q4.h

// q8 layout inside one storage: rows*cols int8 values, padded to 64 bytes, then rows f32 scales.
inline int64_t q8_scales_offset(int64_t rows, int64_t cols) { return (rows * cols + 63) / 64 * 64; }
inline int64_t q8_bytes(int64_t rows, int64_t cols) { return q8_scales_offset(rows, cols) + 4 * rows; }
// Sizes for the bounds checks, in double so that absurd dims cannot overflow into a small number
// (exact up to 2^53 bytes, far beyond any real storage).
inline double q8_bytes_d(double rows, double cols) { return std::ceil(rows * cols / 64) * 64 + 4 * rows; }
double dtype_bytes(DType dt, double n);  // bytes of n elements of a dtype other than q8 and q4

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
  Mapping* mapping_ = nullptr;                    // mapped kind
  Napi::Env env_;
};

// ---- argument checks (throw Napi::TypeError / RangeError; never abort) ----
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

// Checked values: as_* take any JS value (an argument, an object's property), arg_* take info[i].
// The Storage v, live, holding at least need_bytes bytes.
Storage* as_storage(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what, double need_bytes);
// An integer number in [lo, hi]; any number.
int64_t as_int(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what, int64_t lo, int64_t hi);
double as_num(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what);
Storage* arg_storage(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what,
                     double need_bytes);
int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what,
                int64_t lo, int64_t hi);
double arg_num(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
DType arg_dtype(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
// Integer array argument (JS number[]), every entry in [lo, hi].
std::vector<int64_t> arg_ints(const Napi::CallbackInfo& info, size_t i, const char* op,
                              const char* what, int64_t lo, int64_t hi);
[[noreturn]] void throw_range(Napi::Env env, const std::string& msg);
[[noreturn]] void throw_type(Napi::Env env, const std::string& msg);

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
