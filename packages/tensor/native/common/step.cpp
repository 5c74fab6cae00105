#include "step.h"

#include <string>

#include "args.h"

namespace gptj {

void check_step_tokens(Napi::Env env, const char* op, const int32_t* ids, const int32_t* mask, int64_t B, int64_t T,
                       int64_t vocab) {
  for (int64_t i = 0; i < B * T; i++) {
    if (ids[i] < 0 || ids[i] >= vocab)
      throw_range(env, std::string(op) + ": token id " + std::to_string(ids[i]) + " at row " + std::to_string(i / T) +
                           ", position " + std::to_string(i % T) + " is outside [0, " + std::to_string(vocab) + ")");
    if (mask && mask[i] != 0 && mask[i] != 1)
      throw_range(env, std::string(op) + ": mask values must be 0 or 1, got " + std::to_string(mask[i]));
  }
}

void step_positions(const int32_t* mask, int64_t B, int64_t T, std::vector<int64_t>& seen, int32_t* positions) {
  for (int64_t b = 0; b < B; b++)
    for (int64_t t = 0; t < T; t++) {
      const bool real = mask == nullptr || mask[b * T + t] != 0;
      if (real) seen[b]++;
      positions[b * T + t] = real ? static_cast<int32_t>(seen[b] - 1) : 1;
    }
}

}  // namespace gptj
