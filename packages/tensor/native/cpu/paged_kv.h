// A KV cache in fixed-size blocks (the layout of vLLM's paged attention, our own code): sequences of
// different lengths share one arena, each owning a list of blocks (its block table), so memory is taken
// as a sequence grows instead of being reserved at full context.
//
//   one layer's arena: k, v [numBlocks, H, BS, Dh] of f32 or f16 (BS = tokens per block);
//   position p of a sequence with block table `table` lives in block table[p / BS], slot p % BS,
//   so one head's keys inside a block are BS contiguous rows of Dh.
//
// The kernels run on the calling thread + pool (par); call them under compute_mutex().
#pragma once
#include <cstdint>

namespace gptj {

struct PagedLayer {
  void* k;  // [numBlocks, H, BS, Dh]
  void* v;
  bool f16;
  int64_t H, BS, Dh;
};

// The N token rows of one step: row i is at position positions[i] of the sequence whose block table
// is tables[i] (holding at least positions[i] / BS + 1 blocks).
struct PagedRows {
  const int32_t* positions;      // [N]
  const int32_t* const* tables;  // [N]
  int64_t N;
};

// Stores k, v [N, H, Dh] (f32) at each row's position (rounded to f16, nearest even, for an f16 arena).
void paged_kv_write(const PagedLayer& c, const PagedRows& rows, const float* k, const float* v);

// Causal attention of each row over its own sequence: out [N, H, Dh] = softmax(scale q k_j) . v_j over
// the sequence's positions j <= positions[i] (the rows of this step must be written first). Per
// (row, head) it is the session's row path (attend_query.h, as attention.cpp's attention_rows), so an f32
// arena gives the same floats as the session's decode.
void paged_attention(const PagedLayer& c, const PagedRows& rows, const float* q, float scale, float* out);

}  // namespace gptj
