#include "layouts.h"

#include "args.h"

namespace gptj {

Napi::Object layouts_object(const Napi::CallbackInfo& info, int64_t* rows, int64_t* cols) {
  Napi::Env env = info.Env();
  *rows = arg_int(info, 0, "layouts", "rows", 0, int64_t(1) << 24);
  *cols = arg_int(info, 1, "layouts", "cols", 0, int64_t(1) << 24);
  Napi::Object codes = Napi::Object::New(env);
  for (int c = 0; c < kDTypeCount; c++) codes.Set(kDTypeNames[c], c);
  Napi::Object out = Napi::Object::New(env);
  out.Set("dtypes", codes);
  out.Set("q8ScalesOffset", static_cast<double>(q8_scales_offset(*rows, *cols)));
  out.Set("q8Bytes", static_cast<double>(q8_bytes(*rows, *cols)));
  return out;
}

}  // namespace gptj
