// stridedCopy: the one data-movement kernel behind transpose, slice, concat and kvWrite.
//   dst[dstOffset + i . dstStrides] = src[srcOffset + i . srcStrides] for every index i of `shape`,
//   strides and offsets in elements of `elemBytes` (1, 2 or 4) bytes, all non-negative.
#include <cstring>

#include "async_kernel.h"

namespace gptj {

namespace {

template <typename T>
void copy_row(const uint8_t* src, int64_t ss, uint8_t* dst, int64_t ds, int64_t n) {
  const T* s = reinterpret_cast<const T*>(src);
  T* d = reinterpret_cast<T*>(dst);
  for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
}

// stridedCopy(src, dst, elemBytes, shape, srcStrides, srcOffset, dstStrides, dstOffset)
Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  const char* op = "stridedCopy";
  int64_t eb = arg_int(info, 2, op, "elemBytes", 1, 4);
  if (eb == 3) throw_range(info.Env(), "stridedCopy: elemBytes must be 1, 2 or 4");
  auto shape = arg_ints(info, 3, op, "shape", 0, kMaxElems);
  auto ss = arg_ints(info, 4, op, "srcStrides", 0, kMaxElems);
  int64_t so = arg_int(info, 5, op, "srcOffset", 0, kMaxElems);
  auto ds = arg_ints(info, 6, op, "dstStrides", 0, kMaxElems);
  int64_t dof = arg_int(info, 7, op, "dstOffset", 0, kMaxElems);
  if (shape.empty() || ss.size() != shape.size() || ds.size() != shape.size())
    throw_range(info.Env(), "stridedCopy: shape and strides must have the same non-zero length");
  const double se = strided_extent(shape, ss), de = strided_extent(shape, ds);
  if (se == 0) return info.Env().Undefined();
  Storage* src = arg_storage(info, 0, op, "src", static_cast<double>(eb) * (static_cast<double>(so) + se));
  Storage* dst = arg_storage(info, 1, op, "dst", static_cast<double>(eb) * (static_cast<double>(dof) + de));
  const size_t nd = shape.size();
  const int64_t inner = shape[nd - 1], sin = ss[nd - 1], din = ds[nd - 1];
  int64_t outer = 1;
  for (size_t d = 0; d + 1 < nd; d++) outer *= shape[d];
  const uint8_t* ps = src->data() + eb * so;
  uint8_t* pd = dst->data() + eb * dof;
  run_sync([&] {
    par(outer, inner, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        int64_t os, od;
        strided_row_offsets(r, shape, ss, ds, &os, &od);
        const uint8_t* s = ps + eb * os;
        uint8_t* d = pd + eb * od;
        if (sin == 1 && din == 1)
          std::memmove(d, s, static_cast<size_t>(eb * inner));
        else if (eb == 4)
          copy_row<uint32_t>(s, sin, d, din, inner);
        else if (eb == 2)
          copy_row<uint16_t>(s, sin, d, din, inner);
        else
          copy_row<uint8_t>(s, sin, d, din, inner);
      }
    });
  });
  return info.Env().Undefined();
}
}  // namespace

void InitShape(Napi::Env env, Napi::Object exports) {
  exports.Set("stridedCopy", Napi::Function::New(env, StridedCopy));
}

}  // namespace gptj
