// Runs the CPU kernels a non-x86 build uses (scalar GEMV/GEMM for every weight type, dtype conversions,
// row ops) against double-precision references computed here; built by cross-check.sh for aarch64 and
// run under qemu-aarch64 when it is installed (plain char is unsigned there, int8 code must not care).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/rowops.h"

namespace {

int failures = 0;
void expect_close(const char* what, double got, double want, double tol) {
  if (std::fabs(got - want) > tol * (1 + std::fabs(want))) {
    if (failures++ < 10) std::fprintf(stderr, "%s: got %.9g, want %.9g\n", what, got, want);
  }
}

// Exactly representable in f16, bf16 and as int8 * 1/8: multiples of 1/8 in [-8, 8].
float weight(int64_t n, int64_t k) { return static_cast<float>((n * 7 + k * 3) % 129 - 64) / 8.0f; }
uint16_t bf16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<uint16_t>(u >> 16);  // exact: the low half is zero for these values
}

void check_linear(int64_t M, int64_t K, int64_t N) {
  std::vector<float> x(M * K), w(N * K), bias(N), scales(N, 1.0f / 8), ref(M * N);
  std::vector<uint16_t> w16(N * K), wbf(N * K);
  std::vector<int8_t> wq(N * K);
  for (int64_t i = 0; i < M * K; ++i) x[i] = std::sin(0.37 * i);
  for (int64_t n = 0; n < N; ++n) {
    bias[n] = 0.25f * (n % 5);
    for (int64_t k = 0; k < K; ++k) {
      w[n * K + k] = weight(n, k);
      wbf[n * K + k] = bf16_bits(weight(n, k));
      wq[n * K + k] = static_cast<int8_t>(weight(n, k) * 8);
    }
  }
  gptj::f32_to_f16(w.data(), w16.data(), N * K);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = bias[n];
      for (int64_t k = 0; k < K; ++k) s += double(x[m * K + k]) * w[n * K + k];
      ref[m * N + n] = static_cast<float>(s);
    }
  const struct {
    const char* name;
    const void* data;
    gptj::WType type;
    const float* scales;
  } cases[] = {
      {"f32", w.data(), gptj::WType::F32, nullptr},
      {"f16", w16.data(), gptj::WType::F16, nullptr},
      {"bf16", wbf.data(), gptj::WType::BF16, nullptr},
      {"q8", wq.data(), gptj::WType::Q8, scales.data()},
  };
  for (const auto& c : cases) {
    std::vector<float> y(M * N);
    gptj::linear(x.data(), M, K, c.data, c.type, c.scales, bias.data(), y.data(), N);
    char what[64];
    std::snprintf(what, sizeof(what), "linear %s M=%lld", c.name, static_cast<long long>(M));
    for (int64_t i = 0; i < M * N; ++i) expect_close(what, y[i], ref[i], 1e-4);
  }
}

void check_conversions() {
  const uint16_t half[] = {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001};  // 1, -2, 0.5, 65504, 2^-24
  const double want[] = {1, -2, 0.5, 65504, std::ldexp(1.0, -24)};
  float out[5];
  gptj::f16_to_f32(half, out, 5);
  for (int i = 0; i < 5; ++i) expect_close("f16_to_f32", out[i], want[i], 0);
  uint16_t back[5];
  gptj::f32_to_f16(out, back, 5);
  for (int i = 0; i < 5; ++i) expect_close("f32_to_f16", back[i], half[i], 0);
}

void check_rowops() {
  const int64_t D = 37;
  std::vector<float> x(D), g(D, 1.5f), b(D, 0.25f), y(D);
  for (int64_t i = 0; i < D; ++i) x[i] = std::cos(0.9 * i) * 3;
  double mean = 0, var = 0, mx = -1e30, z = 0;
  for (float v : x) mean += v / D;
  for (float v : x) var += (v - mean) * (v - mean) / D;
  gptj::rowops().layernorm(x.data(), g.data(), b.data(), y.data(), D, 1e-5f);
  for (int64_t i = 0; i < D; ++i)
    expect_close("layernorm", y[i], (x[i] - mean) / std::sqrt(var + 1e-5) * 1.5 + 0.25, 1e-5);
  for (float v : x) mx = v > mx ? v : mx;
  for (float v : x) z += std::exp(v - mx);
  gptj::rowops().softmax(x.data(), y.data(), D);
  for (int64_t i = 0; i < D; ++i) expect_close("softmax", y[i], std::exp(x[i] - mx) / z, 1e-5);
}

}  // namespace

int main() {
  gptj::set_num_threads(2);
  check_conversions();
  check_rowops();
  for (int64_t M : {1, 3, 9}) check_linear(M, 200, 70);  // GEMV (M <= 4) and blocked GEMM
  if (failures) {
    std::fprintf(stderr, "kernels check: %d mismatches (rowops %s)\n", failures, gptj::rowops().isa);
    return 1;
  }
  std::printf("kernels check: ok (rowops %s)\n", gptj::rowops().isa);
  return 0;
}
