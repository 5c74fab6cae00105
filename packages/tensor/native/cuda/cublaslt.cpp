// dlopen'ed cuBLASLt. Only the prototypes and enum values used here are declared (values from the
// cuBLAS 12/13 headers: cublasLt.h, cublas_api.h, library_types.h).
#include "cublaslt.h"

#include <dlfcn.h>
#include <library_types.h>

#include <map>
#include <mutex>
#include <tuple>

#include "launch.h"

namespace gptj_cuda {
namespace {

using Status = int;  // cublasStatus_t; 0 = CUBLAS_STATUS_SUCCESS
using Handle = void*;
using Desc = void*;
using Layout = void*;
using Pref = void*;
struct Algo {
  uint64_t data[8];
};
struct Heuristic {  // cublasLtMatmulHeuristicResult_t (96 bytes)
  Algo algo;
  size_t workspaceSize;
  Status state;
  float wavesCount;
  int reserved[4];
};
static_assert(sizeof(Heuristic) == 96, "cublasLtMatmulHeuristicResult_t layout");

constexpr int kComputeF32 = 68;       // CUBLAS_COMPUTE_32F
constexpr int kDescTransA = 3;        // CUBLASLT_MATMUL_DESC_TRANSA
constexpr int kDescTransB = 4;        // CUBLASLT_MATMUL_DESC_TRANSB
constexpr int kOpN = 0, kOpT = 1;     // CUBLAS_OP_N / CUBLAS_OP_T
constexpr int kPrefMaxWorkspace = 1;  // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES

struct Api {
  Status (*create)(Handle*);
  Status (*descCreate)(Desc*, int computeType, cudaDataType_t scaleType);
  Status (*descSet)(Desc, int attr, const void* buf, size_t size);
  Status (*descDestroy)(Desc);
  Status (*layoutCreate)(Layout*, cudaDataType_t type, uint64_t rows, uint64_t cols, int64_t ld);
  Status (*layoutDestroy)(Layout);
  Status (*prefCreate)(Pref*);
  Status (*prefSet)(Pref, int attr, const void* buf, size_t size);
  Status (*prefDestroy)(Pref);
  Status (*heuristic)(Handle, Desc, Layout, Layout, Layout, Layout, Pref, int requested, Heuristic* results,
                      int* count);
  Status (*matmul)(Handle, Desc, const void* alpha, const void* A, Layout, const void* B, Layout, const void* beta,
                   const void* C, Layout, void* D, Layout, const Algo*, void* workspace, size_t wsSize, cudaStream_t);
};

struct Plan {  // one shape's descriptors and chosen algorithm, kept for the life of the process
  Desc desc = nullptr;
  Layout a = nullptr, b = nullptr, c = nullptr;
  Algo algo{};
  size_t workspace = 0;
  bool ok = false;
};

std::once_flag g_once;
std::mutex g_mu;
bool g_ok = false;
std::string g_status = "not opened";
Api g_api{};
Handle g_handle = nullptr;
std::map<std::tuple<int, int64_t, int64_t, int64_t, size_t>, Plan> g_plans;

template <typename F>
bool sym(void* lib, const char* name, F& f) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (!f) g_status = std::string("cuBLASLt: missing symbol ") + name;
  return f != nullptr;
}

void open_once() {
  void* lib = nullptr;
  const char* names[] = {"libcublasLt.so.13", "libcublasLt.so.12"};
  std::string errors;
  for (const char* n : names) {
    lib = dlopen(n, RTLD_NOW | RTLD_LOCAL);
    if (lib) {
      g_status = n;
      break;
    }
    const char* e = dlerror();
    errors += std::string(errors.empty() ? "" : "; ") + (e ? e : n);
  }
  if (!lib) {
    g_status = "cuBLASLt not found (" + errors + ")";
    return;
  }
  const bool all = sym(lib, "cublasLtCreate", g_api.create) && sym(lib, "cublasLtMatmulDescCreate", g_api.descCreate) &&
                   sym(lib, "cublasLtMatmulDescSetAttribute", g_api.descSet) &&
                   sym(lib, "cublasLtMatmulDescDestroy", g_api.descDestroy) &&
                   sym(lib, "cublasLtMatrixLayoutCreate", g_api.layoutCreate) &&
                   sym(lib, "cublasLtMatrixLayoutDestroy", g_api.layoutDestroy) &&
                   sym(lib, "cublasLtMatmulPreferenceCreate", g_api.prefCreate) &&
                   sym(lib, "cublasLtMatmulPreferenceSetAttribute", g_api.prefSet) &&
                   sym(lib, "cublasLtMatmulPreferenceDestroy", g_api.prefDestroy) &&
                   sym(lib, "cublasLtMatmulAlgoGetHeuristic", g_api.heuristic) &&
                   sym(lib, "cublasLtMatmul", g_api.matmul);
  if (!all) return;
  if (g_api.create(&g_handle) != 0) {
    g_status = "cublasLtCreate failed";
    return;
  }
  g_ok = true;
}

// Row-major y[M,N] = x[M,K] W[N,K]^T is column-major y^T[N,M] = op_T(W as K x N) . x^T (K x M):
// A = W (K x N, ld K, transposed), B = x (K x M, ld K), C = D = y (N x M, ld N, f32).
Plan make_plan(int dt, int64_t M, int64_t N, int64_t K, size_t ws) {
  Plan p;
  const cudaDataType_t in = dt == DT_BF16 ? CUDA_R_16BF : CUDA_R_16F;
  if (g_api.descCreate(&p.desc, kComputeF32, CUDA_R_32F) != 0) return p;
  const int32_t ta = kOpT, tb = kOpN;
  g_api.descSet(p.desc, kDescTransA, &ta, sizeof ta);
  g_api.descSet(p.desc, kDescTransB, &tb, sizeof tb);
  if (g_api.layoutCreate(&p.a, in, K, N, K) != 0 || g_api.layoutCreate(&p.b, in, K, M, K) != 0 ||
      g_api.layoutCreate(&p.c, CUDA_R_32F, N, M, N) != 0)
    return p;
  Pref pref = nullptr;
  if (g_api.prefCreate(&pref) != 0) return p;
  const uint64_t max_ws = ws;
  g_api.prefSet(pref, kPrefMaxWorkspace, &max_ws, sizeof max_ws);
  Heuristic h[1];
  int count = 0;
  const Status st = g_api.heuristic(g_handle, p.desc, p.a, p.b, p.c, p.c, pref, 1, h, &count);
  g_api.prefDestroy(pref);
  if (st != 0 || count < 1) return p;
  p.algo = h[0].algo;
  p.workspace = h[0].workspaceSize;
  p.ok = true;
  return p;
}

}  // namespace

bool lt_open() {
  std::call_once(g_once, open_once);
  return g_ok;
}

const std::string& lt_status() { return g_status; }

bool lt_linear(const void* x, const void* w, int dt, int64_t M, int64_t N, int64_t K, float* y, bool accumulate,
               void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  if (!lt_open() || M <= 0 || N <= 0 || K <= 0) return false;
  Plan* plan;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto key = std::make_tuple(dt, M, N, K, workspace_bytes);
    auto it = g_plans.find(key);
    if (it == g_plans.end()) it = g_plans.emplace(key, make_plan(dt, M, N, K, workspace_bytes)).first;
    plan = &it->second;
  }
  if (!plan->ok) return false;
  const float alpha = 1.f, beta = accumulate ? 1.f : 0.f;
  return g_api.matmul(g_handle, plan->desc, &alpha, w, plan->a, x, plan->b, &beta, y, plan->c, y, plan->c, &plan->algo,
                      workspace, workspace_bytes, stream) == 0;
}

}  // namespace gptj_cuda
