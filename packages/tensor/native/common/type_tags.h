// Type tags of the native objects JS hands back to the bindings (napi_type_tag: 128 random bits,
// set by each constructor, checked by as_tagged before any Unwrap). One list for both addons, so no
// two classes share a tag. The CPU runner's tag is kRunnerTag in cpu/gptj_runner.h.
#pragma once
#include <node_api.h>

namespace gptj {

inline constexpr napi_type_tag kStorageTag = {0x3f1c9a6e2b7d4c01ULL, 0x8e5a0f42d19b7c36ULL};  // cpu Storage
inline constexpr napi_type_tag kDeviceStorageTag = {0x51d0b8e37a2c4f99ULL,
                                                    0x0c6e2a71f4b85d13ULL};                      // cuda DeviceStorage
inline constexpr napi_type_tag kCudaRunnerTag = {0xa47e13c95f026b8dULL, 0x2d9f6c04e1b7a358ULL};  // cuda GPTJRunner

}  // namespace gptj
