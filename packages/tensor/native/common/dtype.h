// Dtype codes and the q8 layout, shared by both addons (the CPU one also has q4: cpu/q4.h). The TS
// source of the same numbers is src/dtype.ts (DTYPE_CODE, q8ScalesOffset, storageBytes);
// src/layouts.test.ts holds them equal through each addon's layouts().
#pragma once
#include <cmath>
#include <cstdint>

namespace gptj {

enum class DType : int { F32 = 0, F16 = 1, BF16 = 2, Q8 = 3, I32 = 4, Q4 = 5 };
constexpr int kDTypeCount = 6;
// Names in code order, as src/dtype.ts spells them.
constexpr const char* kDTypeNames[kDTypeCount] = {"f32", "f16", "bf16", "q8", "i32", "q4"};

// Bytes of n elements of a dtype (q8: its int8 values only, see q8_bytes; q4: its codes only, see
// q4_bytes_d). In double so that absurd counts from JS cannot overflow into a small number.
inline double dtype_bytes(DType dt, double n) {
  switch (dt) {
    case DType::F32:
    case DType::I32: return 4 * n;
    case DType::F16:
    case DType::BF16: return 2 * n;
    case DType::Q8: return n;
    case DType::Q4: return n / 2;
  }
  return 4 * n;
}

// q8 matrix [rows, cols] inside one storage: rows*cols int8 values (row-major), zero-padded to a
// multiple of 64 bytes, then rows f32 scales (real = value * scale of its row).
inline int64_t q8_scales_offset(int64_t rows, int64_t cols) { return (rows * cols + 63) / 64 * 64; }
inline int64_t q8_bytes(int64_t rows, int64_t cols) { return q8_scales_offset(rows, cols) + 4 * rows; }
// The same size for bounds checks, in double (exact up to 2^53 bytes, far beyond any real storage).
inline double q8_bytes_d(double rows, double cols) { return std::ceil(rows * cols / 64) * 64 + 4 * rows; }

}  // namespace gptj
