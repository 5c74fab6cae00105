// Whole-buffer conversions per SIMD level (private header); gptj::f16_to_f32 etc. dispatch to these.
#pragma once
#include <cstdint>

namespace gptj {
namespace avx2 {
void f16_to_f32(const uint16_t* src, float* dst, int64_t n);
void f32_to_f16(const float* src, uint16_t* dst, int64_t n);
void bf16_to_f32(const uint16_t* src, float* dst, int64_t n);
void f32_to_bf16(const float* src, uint16_t* dst, int64_t n);
}  // namespace avx2
namespace avx512 {
void f16_to_f32(const uint16_t* src, float* dst, int64_t n);
void f32_to_f16(const float* src, uint16_t* dst, int64_t n);
void bf16_to_f32(const uint16_t* src, float* dst, int64_t n);
void f32_to_bf16(const float* src, uint16_t* dst, int64_t n);
}  // namespace avx512
}  // namespace gptj
