// The host side of one runner step, shared by the CPU and CUDA sessions: the token checks and the
// positions the new tokens get. Both work on copies: a session's own state (mask, counters, length)
// changes only in its commit, after the step succeeded.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

namespace gptj {

// ids [B*T] in [0, vocab) and mask [B*T] (or null) of 0/1; a RangeError names the first bad entry.
void check_step_tokens(Napi::Env env, const char* op, const int32_t* ids, const int32_t* mask, int64_t B, int64_t T,
                       int64_t vocab);

// Positions [B*T] as transformers' generate: cumsum(mask) - 1 over every position seen, padding at 1.
// seen: per row, the tokens with mask 1 so far; advanced past this step's (pass a copy of the
// session's). mask null: every new token is real.
void step_positions(const int32_t* mask, int64_t B, int64_t T, std::vector<int64_t>& seen, int32_t* positions);

}  // namespace gptj
