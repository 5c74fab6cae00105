// A pool of independent sequences over one GPT-J runner (issue 14): continuous batching on the CPU.
// Each sequence has its own length and positions; one step advances any mix of them (some prefilling a
// chunk, others decoding a token) as ONE matrix of N = sum of tokens rows, so each weight is read once
// per step whatever the number of sequences. KV memory is a paged cache (paged_kv.h): blocks of BS
// tokens taken from a free list as sequences grow and returned when they leave.
//
//   new CpuGPTJPool(runner, maxSequences, numBlocks, blockSize, kvF16, maxLength)  (maxLength: positions per sequence)
//   pool.add() -> id; pool.fork(id) -> id; pool.remove(id); pool.length(id); pool.freeBlocks; pool.blockSize
//   pool.step(seqIds Int32Array [E], counts Int32Array [E], tokens Int32Array [sum counts][, out Float32Array[, best Int32Array[, skip Int32Array]]])
//     -> Promise<Float32Array [E, V]>
//     the logits of the last appended token of each entry, in entry order: written to the start of `out` (at least E * V
//     floats; resolves to out itself) when given, else to a new array. The step writes into `out` as it computes, so
//     after a failed step (the promise rejects) `out` may hold partial logits. With `best` (Int32Array of at least 2E), each
//     entry's row is also scanned on the worker: best[2e] = the lowest id of its highest logit (NaN skipped),
//     best[2e + 1] = the first id holding NaN or +Infinity, or -1 (greedy decoding's pick and check, off the JS thread).
//     With `skip` (Int32Array [2E], needs best): skip[2e] = -1 asks for entry e's logits; [start, end) with
//     0 <= start <= end says only best is needed, and the row is left out of `out` (but for its highest logit, at
//     best[2e]) unless its scan alone cannot give the greedy pick: it holds NaN or +Infinity, nothing above -Infinity,
//     or best[2e] is in [start, end) (a banned range). Rows written are the same bits either way. Where the lm_head is not the AVX-512 small-K GEMM (fewer
//     than its minimum rows, or no AVX-512) every row is written.
//   pool.dispose()
//
// Forks share the source's full blocks (a reference count per block: a full block is never written
// again) and copy its last, partial block. A step is checked whole on the JS thread (ids alive and
// distinct, token ids, blocks available, weights live) before it is queued; it takes its new blocks
// then, and the sequences' lengths and block tables change only when it succeeded (a failed step puts
// its blocks back), so a failure leaves every sequence as it was.
#include <algorithm>
#include <cstring>
#include <map>

#include "gptj_runner.h"
#include "paged_kv.h"

namespace gptj {
namespace {

struct Sequence {
  int64_t length = 0;
  std::vector<int32_t> blocks;  // block table: position p is in blocks[p / BS]
};

// One step, prepared on the JS thread.
struct PoolStep {
  std::vector<int32_t> seq_ids;              // [E]
  std::vector<int64_t> lengths;              // [E] after the step
  std::vector<std::vector<int32_t>> tables;  // [E] block tables after the step
  std::vector<int32_t> taken;                // blocks taken from the free list for it
  std::vector<int32_t> tokens, positions;    // [N]
  std::vector<int32_t> entry;                // [N] entry of each row
  std::vector<int64_t> last;                 // [E] row of each entry's last token
  float* dest = nullptr;                     // [E, V] the caller's out array (kept alive by the worker), or null
  int32_t* best = nullptr;                   // [E, 2] the caller's best array (kept alive by best_ref_), or null
  std::vector<int32_t> skip;                 // [E, 2] the caller's skip ranges, or empty (every row written)
};

class Pool : public Napi::ObjectWrap<Pool> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CpuGPTJPool",
                       {InstanceMethod("add", &Pool::Add), InstanceMethod("fork", &Pool::Fork),
                        InstanceMethod("remove", &Pool::Remove), InstanceMethod("length", &Pool::Length),
                        InstanceMethod("step", &Pool::Step), InstanceMethod("dispose", &Pool::Dispose),
                        InstanceAccessor("freeBlocks", &Pool::FreeBlocks, nullptr),
                        InstanceAccessor("blockSize", &Pool::BlockSize, nullptr)});
  }

  explicit Pool(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Pool>(info) {
    Napi::Env env = info.Env();
    const char* op = "CpuGPTJPool";
    if (info.Length() < 1 || !info[0].IsObject() || !info[0].As<Napi::Object>().CheckTypeTag(&kRunnerTag))
      throw_type(env, "CpuGPTJPool: the first argument must be a CpuGPTJRunner");
    r_ = Runner::Unwrap(info[0].As<Napi::Object>());
    if (r_->disposed) throw Napi::Error::New(env, "CpuGPTJPool: the runner was disposed");
    runner_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
    max_seqs_ = arg_int(info, 1, op, "maxSequences", 1, 4096);
    num_blocks_ = arg_int(info, 2, op, "numBlocks", 1, int64_t(1) << 24);
    bs_ = arg_int(info, 3, op, "blockSize", 1, 4096);
    if (num_blocks_ * bs_ > INT32_MAX)
      throw_range(env, "CpuGPTJPool: numBlocks * blockSize must fit positions in int32");
    f16_ = arg_bool(info, 4, op, "kvF16");
    max_len_ = arg_int(info, 5, op, "maxLength", 1, INT32_MAX);
    const double elems = 1.0 * static_cast<double>(r_->layers.size()) * num_blocks_ * r_->H * bs_ * r_->Dh;
    const double bytes = elems * 2 * (f16_ ? 2 : 4);
    if (bytes > 1e14) throw_range(env, "CpuGPTJPool: the KV cache would take " + std::to_string(bytes) + " bytes");
    layer_elems_ = static_cast<size_t>(num_blocks_ * r_->H * bs_ * r_->Dh);
    const size_t arena = static_cast<size_t>(elems) * (f16_ ? 2 : 4);
    // Large blocks are mmap'ed (host_alloc.h): pages of blocks never used are never touched.
    k_ = host_alloc(arena, &k_cap_);
    v_ = host_alloc(arena, &v_cap_);
    if (!k_ || !v_) {
      free_cache();
      throw Napi::Error::New(env, "CpuGPTJPool: out of memory for a KV cache of " + std::to_string(bytes) + " bytes");
    }
    refs_.assign(static_cast<size_t>(num_blocks_), 0);
    for (int64_t b = num_blocks_ - 1; b >= 0; b--) free_.push_back(static_cast<int32_t>(b));  // block 0 first
  }
  ~Pool() override { free_cache(); }

  // Runs on the pool, under compute_mutex: the whole step; logits [E, V].
  void Run(const PoolStep& s, std::vector<float>& out) {
    const Runner& r = *r_;
    const int64_t N = static_cast<int64_t>(s.tokens.size());
    std::vector<const int32_t*> tables(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; i++) tables[i] = s.tables[s.entry[i]].data();
    const PagedRows rows{s.positions.data(), tables.data(), N};
    float* x = decoder_layers(r, s.tokens.data(), s.positions.data(), N, buf_,
                              [&](size_t li, const float* q, const float* k, const float* v, float* att) {
                                const PagedLayer c = layer(li);
                                paged_kv_write(c, rows, k, v);
                                paged_attention(c, rows, q, r.scale, att);
                              });
    const int64_t E = static_cast<int64_t>(s.last.size());
    // Straight into the caller's array when given (no copy of the step's logits, 6.4 MB at 32 mini-code rows), else
    // into the promise's own
    float* logits = s.dest;
    if (!logits) {
      out.resize(static_cast<size_t>(E * r.V));
      logits = out.data();
    }
    // Every linear over all the step's rows at once: linear() picks GEMV or GEMM by rows and dtype. The pool used to
    // force 4-row GEMVs for 5..32 rows over weights of 1 MiB or more; with the dot-product GEMM (212e8e5) a mini-code
    // step of 32 rows (lm_head [50400, 128] f16) takes 0.86-0.96 of that time, 16 rows 0.89-0.94, 8 rows 1.00-1.06.
    lm_head_rows(r, x, s.last.data(), E, buf_, logits, s.best, s.skip.empty() ? nullptr : s.skip.data());
  }

  // After a successful step: the sequences grow.
  void Commit(PoolStep& s) {
    for (size_t e = 0; e < s.seq_ids.size(); e++) {
      auto it = seqs_.find(s.seq_ids[e]);
      if (it == seqs_.end()) continue;  // the pool was disposed meanwhile
      it->second.length = s.lengths[e];
      it->second.blocks = std::move(s.tables[e]);
    }
  }

  // After a failed one: its blocks go back.
  void Rollback(PoolStep& s) {
    for (int32_t b : s.taken) release(b);
  }

  void StepDone() {
    busy_ = false;
    best_ref_.Reset();
    r_->unpin_weights();
    if (disposed_) free_cache();
  }

 private:
  PagedLayer layer(size_t li) const {
    const size_t off = li * layer_elems_ * (f16_ ? 2 : 4);
    return PagedLayer{static_cast<uint8_t*>(k_) + off, static_cast<uint8_t*>(v_) + off, f16_, r_->H, bs_, r_->Dh};
  }

  int32_t take() {
    const int32_t b = free_.back();
    free_.pop_back();
    refs_[b] = 1;
    return b;
  }
  void release(int32_t b) {
    if (--refs_[b] == 0) free_.push_back(b);
  }
  int64_t blocks_for(int64_t tokens) const { return (tokens + bs_ - 1) / bs_; }

  void live(Napi::Env env, const char* op, bool idle) {
    if (disposed_) throw Napi::Error::New(env, std::string(op) + ": the pool was disposed");
    if (idle && busy_) throw Napi::Error::New(env, std::string(op) + ": a step is still running; await it first");
  }

  std::map<int32_t, Sequence>::iterator find(Napi::Env env, const char* op, const Napi::Value& v) {
    const int64_t id = as_int(env, v, op, "sequence id", 0, INT32_MAX);
    auto it = seqs_.find(static_cast<int32_t>(id));
    if (it == seqs_.end())
      throw_range(env, std::string(op) + ": unknown sequence id " + std::to_string(id) + " (never added, or removed)");
    return it;
  }

  void check_room(Napi::Env env, const char* op) {
    if (static_cast<int64_t>(seqs_.size()) >= max_seqs_)
      throw_range(env, std::string(op) + ": all maxSequences = " + std::to_string(max_seqs_) +
                           " sequences are alive; remove one first");
  }

  int32_t insert(Napi::Env env, const char* op, Sequence s) {
    check_room(env, op);
    const int32_t id = next_id_;
    next_id_ = next_id_ == INT32_MAX ? 0 : next_id_ + 1;
    seqs_.emplace(id, std::move(s));
    return id;
  }

  Napi::Value Add(const Napi::CallbackInfo& info) {
    live(info.Env(), "CpuGPTJPool.add", false);
    return Napi::Number::New(info.Env(), insert(info.Env(), "CpuGPTJPool.add", Sequence{}));
  }

  // Shares the full blocks, copies the partial last one (every layer, K and V).
  Napi::Value Fork(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* op = "CpuGPTJPool.fork";
    live(env, op, true);
    const Sequence& src = find(env, op, info[0])->second;
    check_room(env, op);
    const bool partial = src.length % bs_ != 0;
    if (partial && free_.empty())
      throw_range(env, std::string(op) + ": out of KV blocks (0 free) to copy the last block");
    Sequence s{src.length, src.blocks};
    for (size_t i = 0; i + (partial ? 1 : 0) < s.blocks.size(); i++) refs_[s.blocks[i]]++;
    if (partial) {
      const int32_t from = s.blocks.back(), to = take();
      s.blocks.back() = to;
      const size_t block_bytes = static_cast<size_t>(r_->H * bs_ * r_->Dh) * (f16_ ? 2 : 4);
      run_sync([&] {
        for (size_t li = 0; li < r_->layers.size(); li++) {
          const PagedLayer c = layer(li);
          for (void* arena : {c.k, c.v})
            std::memcpy(static_cast<uint8_t*>(arena) + to * block_bytes,
                        static_cast<uint8_t*>(arena) + from * block_bytes, block_bytes);
        }
      });
    }
    return Napi::Number::New(env, insert(env, op, std::move(s)));
  }

  Napi::Value Remove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* op = "CpuGPTJPool.remove";
    live(env, op, true);
    auto it = find(env, op, info[0]);
    for (int32_t b : it->second.blocks) release(b);
    seqs_.erase(it);
    return env.Undefined();
  }

  Napi::Value Length(const Napi::CallbackInfo& info) {
    live(info.Env(), "CpuGPTJPool.length", false);
    return Napi::Number::New(info.Env(),
                             static_cast<double>(find(info.Env(), "CpuGPTJPool.length", info[0])->second.length));
  }

  Napi::Value FreeBlocks(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), disposed_ ? 0.0 : static_cast<double>(free_.size()));
  }

  Napi::Value BlockSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(bs_));
  }

  Napi::Value Step(const Napi::CallbackInfo& info);

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    disposed_ = true;
    seqs_.clear();
    if (!busy_) free_cache();
    return info.Env().Undefined();
  }

  void free_cache() {
    if (k_) host_free(k_, k_cap_);
    if (v_) host_free(v_, v_cap_);
    k_ = v_ = nullptr;
    free_.clear();
    buf_.reset();
  }

  Napi::ObjectReference runner_ref_;
  Runner* r_ = nullptr;
  int64_t max_seqs_ = 0, num_blocks_ = 0, bs_ = 0, max_len_ = 0;
  bool f16_ = false, busy_ = false, disposed_ = false;
  size_t layer_elems_ = 0, k_cap_ = 0, v_cap_ = 0;
  void *k_ = nullptr, *v_ = nullptr;  // [nLayer][numBlocks, H, BS, Dh] each
  std::map<int32_t, Sequence> seqs_;
  int32_t next_id_ = 0;
  std::vector<int32_t> free_;  // free blocks (a stack: the most recently freed, still warm, goes first)
  std::vector<int32_t> refs_;  // [numBlocks] sequences holding each block
  StepBuffers buf_;
  Napi::Reference<Napi::Int32Array> best_ref_;  // the running step's best array
};

Napi::Value Pool::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "CpuGPTJPool.step";
  live(env, op, true);
  if (r_->disposed) throw Napi::Error::New(env, std::string(op) + ": the runner was disposed");
  if (info.Length() < 3 || !info[0].IsTypedArray())
    throw_type(env, std::string(op) + ": expected (seqIds, counts, tokens) Int32Arrays");
  const int64_t E = info[0].As<Napi::TypedArray>().ElementLength();
  if (E < 1 || E > max_seqs_)
    throw_range(env, std::string(op) + ": a step takes 1 to maxSequences = " + std::to_string(max_seqs_) +
                         " entries, got " + std::to_string(E));
  const int32_t* ids = arg_i32(info, 0, op, "seqIds", E);
  const int32_t* counts = arg_i32(info, 1, op, "counts", E);
  int64_t N = 0;
  for (int64_t e = 0; e < E; e++) {
    if (counts[e] < 1 || counts[e] > num_blocks_ * bs_)
      throw_range(env, std::string(op) + ": entry " + std::to_string(e) + " has " + std::to_string(counts[e]) +
                           " tokens; each entry needs 1 to " + std::to_string(num_blocks_ * bs_));
    N += counts[e];
  }
  const int32_t* tokens = arg_i32(info, 2, op, "tokens", N);
  PoolStep s;
  s.tokens.assign(tokens, tokens + N);
  for (int64_t i = 0; i < N; i++)
    if (tokens[i] < 0 || tokens[i] >= r_->V)
      throw_range(env, std::string(op) + ": token id " + std::to_string(tokens[i]) + " at token " + std::to_string(i) +
                           " is outside [0, " + std::to_string(r_->V) + ")");
  int64_t need = 0;
  for (int64_t e = 0; e < E; e++) {
    auto it = seqs_.find(ids[e]);
    if (it == seqs_.end())
      throw_range(env, std::string(op) + ": entry " + std::to_string(e) + " names unknown sequence id " +
                           std::to_string(ids[e]) + " (never added, or removed)");
    if (it->second.length + counts[e] > max_len_)
      throw_range(env, std::string(op) + ": entry " + std::to_string(e) + " would take sequence " +
                           std::to_string(ids[e]) + " to " + std::to_string(it->second.length + counts[e]) +
                           " positions, past maxLength = " + std::to_string(max_len_));
    for (int64_t f = 0; f < e; f++)
      if (ids[f] == ids[e])
        throw_range(env, std::string(op) + ": sequence id " + std::to_string(ids[e]) + " appears twice in one step");
    need += blocks_for(it->second.length + counts[e]) - static_cast<int64_t>(it->second.blocks.size());
  }
  if (need > static_cast<int64_t>(free_.size()))
    throw_range(env, std::string(op) + ": out of KV blocks: the step needs " + std::to_string(need) +
                         " more blocks of " + std::to_string(bs_) + " tokens, " + std::to_string(free_.size()) +
                         " are free; remove a sequence first");
  Napi::Float32Array dest;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw_type(env, std::string(op) + ": out must be a Float32Array");
    dest = info[3].As<Napi::Float32Array>();
    if (static_cast<int64_t>(dest.ElementLength()) < E * r_->V)
      throw_range(env, std::string(op) + ": out holds " + std::to_string(dest.ElementLength()) +
                           " floats, the step's logits are " + std::to_string(E) + " x " + std::to_string(r_->V));
  }
  Napi::Int32Array best;
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      throw_type(env, std::string(op) + ": best must be an Int32Array");
    best = info[4].As<Napi::Int32Array>();
    if (static_cast<int64_t>(best.ElementLength()) < 2 * E)
      throw_range(env, std::string(op) + ": best holds " + std::to_string(best.ElementLength()) +
                           " ints, the step needs 2 x " + std::to_string(E));
  }
  if (info.Length() > 5 && !info[5].IsUndefined()) {
    if (best.IsEmpty()) throw_type(env, std::string(op) + ": skip needs best (the rows left out are picked from it)");
    const int32_t* skip = arg_i32(info, 5, op, "skip", 2 * E);
    for (int64_t e = 0; e < E; e++)
      if (skip[2 * e] < -1 || (skip[2 * e] >= 0 && skip[2 * e + 1] < skip[2 * e]))
        throw_range(env, std::string(op) + ": skip of entry " + std::to_string(e) + " is [" +
                             std::to_string(skip[2 * e]) + ", " + std::to_string(skip[2 * e + 1]) +
                             "); it must be -1 (logits wanted) or a range with 0 <= start <= end");
    s.skip.assign(skip, skip + 2 * E);  // copied: the caller may reuse its array while the step runs
  }
  r_->check_weights(op);
  // Checked: take the blocks and lay out the rows.
  s.seq_ids.assign(ids, ids + E);
  s.positions.reserve(static_cast<size_t>(N));
  for (int64_t e = 0; e < E; e++) {
    const Sequence& q = seqs_.at(ids[e]);
    std::vector<int32_t> table = q.blocks;
    while (static_cast<int64_t>(table.size()) < blocks_for(q.length + counts[e])) {
      table.push_back(take());
      s.taken.push_back(table.back());
    }
    for (int64_t t = 0; t < counts[e]; t++) {
      s.positions.push_back(static_cast<int32_t>(q.length + t));
      s.entry.push_back(static_cast<int32_t>(e));
    }
    s.last.push_back(static_cast<int64_t>(s.positions.size()) - 1);
    s.lengths.push_back(q.length + counts[e]);
    s.tables.push_back(std::move(table));
  }
  if (!dest.IsEmpty()) s.dest = dest.Data();
  if (!best.IsEmpty()) {
    s.best = best.Data();
    best_ref_ = Napi::Persistent(best);
  }
  busy_ = true;
  r_->pin_weights();
  return StepWorker<Pool, PoolStep>::Start(env, info.This().As<Napi::Object>(), std::move(s), dest);
}

}  // namespace

void InitGPTJPool(Napi::Env env, Napi::Object exports) { exports.Set("CpuGPTJPool", Pool::Define(env)); }

}  // namespace gptj
