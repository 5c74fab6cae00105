// computePeak of bench_probe.node (compute-peak.cpp).
#pragma once
#include <napi.h>

Napi::Value ComputePeak(const Napi::CallbackInfo& info);
