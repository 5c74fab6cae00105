// Typed element access for the scalar kernels (private header): weight element k of row `row`
// as f32, before the q8 row scale.
#pragma once
#include <cstdint>

#include "convert_scalar.h"

namespace gptj {

struct WF32 {
  using T = float;
  static float get(const float* row, int64_t k) { return row[k]; }
};
struct WF16 {
  using T = uint16_t;
  static float get(const uint16_t* row, int64_t k) { return half_to_float(row[k]); }
};
struct WBF16 {
  using T = uint16_t;
  static float get(const uint16_t* row, int64_t k) { return bf16_to_float(row[k]); }
};
struct WQ8 {
  using T = int8_t;
  static float get(const int8_t* row, int64_t k) { return static_cast<float>(row[k]); }
};

}  // namespace gptj
