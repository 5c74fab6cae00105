// layouts(rows, cols): the dtype codes and the q8 layout of a [rows, cols] matrix as this addon
// computes them, so a test can hold src/dtype.ts to the native numbers (src/layouts.test.ts).
#pragma once
#include <napi.h>

namespace gptj {

// { dtypes: { f32: 0, ... }, q8ScalesOffset, q8Bytes } for info[0] = rows, info[1] = cols.
Napi::Object layouts_object(const Napi::CallbackInfo& info, int64_t* rows, int64_t* cols);

}  // namespace gptj
