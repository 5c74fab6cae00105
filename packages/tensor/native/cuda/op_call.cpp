#include "op_call.h"

#include <string>

#include "launch.h"

namespace gptj_cuda {

int OpCall::float_dtype(size_t i, const char* what, bool allow_q8) const {
  const int64_t dt = i64(i, (std::string(what) + " dtype").c_str(), DT_F32, DT_I32);
  if (dt == DT_I32 || (dt == DT_Q8 && !allow_q8))
    throw_type(env(), std::string(op_) + ": unsupported " + what + " dtype code " + std::to_string(dt));
  return static_cast<int>(dt);
}

void bind_op(Napi::Env env, Napi::Object exports, const char* name, OpBody body) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [name, body](const Napi::CallbackInfo& info) -> Napi::Value {
                          OpCall c(info, name);
                          body(c);
                          if (c.used_device()) check(info.Env(), cudaGetLastError(), name);
                          return c.result.IsEmpty() ? info.Env().Undefined() : c.result;
                        },
                        name));
}

}  // namespace gptj_cuda
