// Registers the per-op bindings (ops.cpp) on the addon's exports.
#pragma once
#include <napi.h>

namespace gptj_cuda {
void register_ops(Napi::Env env, Napi::Object exports);
}
