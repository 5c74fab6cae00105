// One query's causal attention over its keys, shared by the session's row attention (attention.cpp, keys
// contiguous but for masked ones) and the paged attention (paged_kv.cpp, keys in blocks). Both give each
// key row to the same row kernels in the same order, so the two paths agree bit for bit whatever runs of
// rows they split a sequence's keys into (the pool's tests hold a lone sequence to the session exactly).
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "rowops.h"

namespace gptj {

// Per-thread buffers of the attention kernels, grown on demand and kept: no allocation per call.
struct AttendScratch {
  std::vector<float> score, acc, buf;
  static AttendScratch& get(int64_t keys, int64_t D, int64_t buf_floats) {
    thread_local AttendScratch s;
    if (static_cast<int64_t>(s.score.size()) < keys) s.score.resize(static_cast<size_t>(keys));
    if (static_cast<int64_t>(s.acc.size()) < D) s.acc.resize(static_cast<size_t>(D));
    if (static_cast<int64_t>(s.buf.size()) < buf_floats) s.buf.resize(static_cast<size_t>(buf_floats));
    return s;
  }
};

// out [D] = sum_j softmax_j(scale q.k_j) v_j over n keys, zeros when n = 0. runs(values, fn) calls
// fn(rows, m) for each run of m contiguous key rows [m, D] in key order, of k (values false) or of v.
template <class Runs>
void attend_query(const RowOps& ops, const float* q, int64_t D, float scale, int64_t n, AttendScratch& s, float* out,
                  const Runs& runs) {
  float* score = s.score.data();
  float* acc = s.acc.data();
  int64_t j = 0;
  runs(false, [&](const float* k, int64_t m) {
    ops.dot_rows(q, k, m, D, scale, score + j);
    j += m;
  });
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; i++) mx = std::max(mx, score[i]);
  const float sum = n ? ops.exp_sub_sum(score, mx, n) : 0.0f;
  std::fill(acc, acc + D, 0.0f);
  j = 0;
  runs(true, [&](const float* v, int64_t m) {
    ops.axpy_rows(score + j, v, m, D, acc);
    j += m;
  });
  const float inv = sum > 0 ? 1.0f / sum : 0.0f;
  for (int64_t d = 0; d < D; d++) out[d] = acc[d] * inv;
}

}  // namespace gptj
