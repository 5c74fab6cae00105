// cast: dtype conversions of a contiguous [rows, cols] block.
//   f32 <-> f16 / bf16 (round to nearest even), f16 <-> bf16 through f32,
//   any float -> q8 (per-row absmax: scale = absmax / 127, q = round-half-even(x / scale)),
//   q8 -> any float (x = q * scale[row]), any float <-> q4 (groups of 32 along a row, q4.h; cols a
//   multiple of 32). Same dtype: plain copy. i32 only to i32.
// Quantizing to q8 refuses non-finite values: absmax skips a NaN and the clamp then maps it to +127
// (the row's maximum), and an infinity makes the scale infinite and zeroes the row, so a corrupt
// weight would become plausible numbers. The error names the first bad row (in row order, whatever
// the thread split) and column. q4 refuses them too, and |x| beyond kQ4MaxAbs (its f16 scale would
// overflow).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#include "async_kernel.h"
#include "op_kernels.h"
#include "q4.h"
#include "rowops.h"

namespace gptj {

// row_to_f32: see op_kernels.h.
void row_to_f32(const uint8_t* src, DType dt, int64_t rows, int64_t cols, int64_t r, float* dst) {
  switch (dt) {
    case DType::F32: std::memcpy(dst, src + 4 * r * cols, 4 * cols); break;
    case DType::F16: f16_to_f32(reinterpret_cast<const uint16_t*>(src) + r * cols, dst, cols); break;
    case DType::BF16: bf16_to_f32(reinterpret_cast<const uint16_t*>(src) + r * cols, dst, cols); break;
    case DType::Q8: {
      const int8_t* q = reinterpret_cast<const int8_t*>(src) + r * cols;
      const float s = reinterpret_cast<const float*>(src + q8_scales_offset(rows, cols))[r];
      for (int64_t i = 0; i < cols; i++) dst[i] = static_cast<float>(q[i]) * s;
      break;
    }
    case DType::Q4:
      q4_dequantize_row(src + r * (cols / 2),
                        reinterpret_cast<const uint16_t*>(src + q4_scales_offset(rows, cols)) + r * (cols / kQ4Group),
                        cols, dst);
      break;
    case DType::I32: break;
  }
}

namespace {

double block_bytes(DType dt, double rows, double cols) {
  return dt == DType::Q8   ? q8_bytes_d(rows, cols)
         : dt == DType::Q4 ? q4_bytes_d(rows, cols)
                           : dtype_bytes(dt, rows * cols);
}

void row_from_f32(const float* src, uint8_t* dst, DType dt, int64_t rows, int64_t cols, int64_t r) {
  switch (dt) {
    case DType::F32: std::memcpy(dst + 4 * r * cols, src, 4 * cols); break;
    case DType::F16: f32_to_f16(src, reinterpret_cast<uint16_t*>(dst) + r * cols, cols); break;
    case DType::BF16: f32_to_bf16(src, reinterpret_cast<uint16_t*>(dst) + r * cols, cols); break;
    case DType::Q8: {
      const float s = rowops().quantize_q8(src, reinterpret_cast<int8_t*>(dst) + r * cols, cols);
      reinterpret_cast<float*>(dst + q8_scales_offset(rows, cols))[r] = s;
      break;
    }
    case DType::Q4:
      q4_quantize_row(src, cols, dst + r * (cols / 2),
                      reinterpret_cast<uint16_t*>(dst + q4_scales_offset(rows, cols)) + r * (cols / kQ4Group));
      break;
    case DType::I32: break;
  }
}

// Whether x[i] is a value the quantized dtype cannot hold: |x| <= limit fails for NaN, +-Inf and out of range.
inline bool unquantizable(float x, float limit) { return !(std::fabs(x) <= limit); }

// First element a quantized dtype cannot hold: non-finite (q8, q4), or beyond q4's f16 scale range.
// Every weight of a load passes here, so each 64-element block is checked with a branch-free OR the
// compiler vectorizes (an early exit per element kept it scalar: 17% of a 6B q4 load), and only a
// flagged block is scanned again for its first such element.
int64_t first_unquantizable(const float* x, int64_t n, DType dt) {
  const float limit = dt == DType::Q4 ? kQ4MaxAbs : std::numeric_limits<float>::max();
  constexpr int64_t kBlock = 64;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    int bad = 0;
#pragma omp simd reduction(| : bad)
    for (int64_t i = b; i < e; i++) bad |= unquantizable(x[i], limit);
    if (!bad) continue;
    for (int64_t i = b; i < e; i++)
      if (unquantizable(x[i], limit)) return i;
  }
  return -1;
}

// A JS Error with code GPTJ_NON_FINITE and the element's row, column and value (NaN or +-Infinity),
// from which the TS layer builds its NonFiniteError.
[[noreturn]] void throw_non_finite(Napi::Env env, DType dt, int64_t row, int64_t col, float value) {
  const std::string where =
      "row " + std::to_string(row) + ", column " + std::to_string(col) + " is " + std::to_string(value);
  if (std::isfinite(value))  // q4 only: see first_unquantizable
    throw_range(env, "cast: q4 quantization needs |x| <= 524032 (an f16 group scale times 8), " + where);
  Napi::Error e = Napi::Error::New(
      env, std::string("cast: ") + (dt == DType::Q4 ? "q4" : "q8") + " quantization needs finite values, " + where);
  e.Set("code", "GPTJ_NON_FINITE");
  e.Set("row", Napi::Number::New(env, static_cast<double>(row)));
  e.Set("column", Napi::Number::New(env, static_cast<double>(col)));
  e.Set("value", Napi::Number::New(env, value));
  throw e;
}

// cast(x, srcDtype, out, dstDtype, rows, cols)
Napi::Value Cast(const Napi::CallbackInfo& info) {
  const char* op = "cast";
  DType sdt = arg_dtype(info, 1, op, "srcDtype");
  DType ddt = arg_dtype(info, 3, op, "dstDtype");
  int64_t rows = arg_int(info, 4, op, "rows", 0, kMaxElems);
  int64_t cols = arg_int(info, 5, op, "cols", 0, kMaxElems);
  if ((sdt == DType::I32) != (ddt == DType::I32)) throw_type(info.Env(), "cast: i32 converts only to i32");
  if ((sdt == DType::Q4 || ddt == DType::Q4) && cols % kQ4Group != 0)
    throw_range(info.Env(), "cast: q4 needs the last dim a multiple of 32 (its groups), got " + std::to_string(cols));
  const bool quantize = ddt == DType::Q8 || ddt == DType::Q4;
  Storage* x = arg_storage(info, 0, op, "x", block_bytes(sdt, rows, cols));
  Storage* o = arg_storage(info, 2, op, "out", block_bytes(ddt, rows, cols));
  const uint8_t* src = x->data();
  uint8_t* dst = o->data();
  if (ddt == DType::Q4 && sdt != DType::Q4)  // the padding after the codes: zero, so q4 bytes are deterministic
    std::memset(dst + rows * cols / 2, 0, static_cast<size_t>(q4_scales_offset(rows, cols) - rows * cols / 2));
  std::atomic<int64_t> bad_row{rows};  // first row holding a value the quantized output cannot hold
  run_sync([&] {
    if (sdt == ddt) {
      std::memmove(dst, src, static_cast<size_t>(block_bytes(sdt, rows, cols)));
      return;
    }
    const int64_t n = rows * cols;  // whole-buffer conversions (threaded inside the kernels)
    if (sdt == DType::F32 && ddt == DType::F16)
      return f32_to_f16(reinterpret_cast<const float*>(src), reinterpret_cast<uint16_t*>(dst), n);
    if (sdt == DType::F32 && ddt == DType::BF16)
      return f32_to_bf16(reinterpret_cast<const float*>(src), reinterpret_cast<uint16_t*>(dst), n);
    if (sdt == DType::F16 && ddt == DType::F32)
      return f16_to_f32(reinterpret_cast<const uint16_t*>(src), reinterpret_cast<float*>(dst), n);
    if (sdt == DType::BF16 && ddt == DType::F32)
      return bf16_to_f32(reinterpret_cast<const uint16_t*>(src), reinterpret_cast<float*>(dst), n);
    // the rest goes row by row through f32 (q8 rows carry their own scale)
    par(rows, 4 * cols, [&](int64_t r0, int64_t r1) {
      std::vector<float> tmp(static_cast<size_t>(cols));
      for (int64_t r = r0; r < r1; r++) {
        row_to_f32(src, sdt, rows, cols, r, tmp.data());
        if (quantize && first_unquantizable(tmp.data(), cols, ddt) >= 0) {
          int64_t seen = bad_row.load();
          while (r < seen && !bad_row.compare_exchange_weak(seen, r)) {}
          return;  // rows after the first bad one in this chunk do not matter
        }
        row_from_f32(tmp.data(), dst, ddt, rows, cols, r);
      }
    });
  });
  if (bad_row.load() < rows) {
    std::vector<float> tmp(static_cast<size_t>(cols));
    row_to_f32(src, sdt, rows, cols, bad_row.load(), tmp.data());
    const int64_t col = first_unquantizable(tmp.data(), cols, ddt);
    throw_non_finite(info.Env(), ddt, bad_row.load(), col, tmp[static_cast<size_t>(col)]);
  }
  return info.Env().Undefined();
}
}  // namespace

void InitCast(Napi::Env env, Napi::Object exports) { exports.Set("cast", Napi::Function::New(env, Cast)); }

}  // namespace gptj
