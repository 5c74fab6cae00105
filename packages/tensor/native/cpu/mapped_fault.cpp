// The SIGBUS handler of mapped_fault.h: a fault inside a registered mapping ends the process with one
// line naming the file, anything else goes to whoever handled SIGBUS before. Only async-signal-safe
// calls in the handler (write, _exit, sigaction) and lock-free slot reads.
#include "mapped_fault.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace gptj {
namespace {

constexpr int kFaultSlots = 4096;
std::atomic<const FaultRange*> g_slots[kFaultSlots];
struct sigaction g_previous;

// Appends s to buf[*n..cap), truncating.
void append(char* buf, size_t cap, size_t* n, const char* s) {
  while (*s && *n < cap) buf[(*n)++] = *s++;
}
void append_u64(char* buf, size_t cap, size_t* n, uint64_t v) {
  char digits[21];
  int k = 0;
  do digits[k++] = static_cast<char>('0' + v % 10);
  while ((v /= 10) != 0);
  while (k > 0 && *n < cap) buf[(*n)++] = digits[--k];
}

void report_and_exit(const FaultRange* r, const uint8_t* addr) {
  char msg[4096 + 512];
  size_t n = 0;
  const size_t cap = sizeof(msg) - 1;
  append(msg, cap, &n, "gptj: ");
  append(msg, cap, &n, r->path);
  append(msg, cap, &n, " was truncated while memory-mapped (a read at byte ");
  append_u64(msg, cap, &n, static_cast<uint64_t>(addr - r->base));
  append(msg, cap, &n, " of the ");
  append_u64(msg, cap, &n, r->len);
  append(msg, cap, &n, " mapped faulted); the process cannot continue and exits with code ");
  append_u64(msg, cap, &n, kMappedFileExitCode);
  append(msg, cap, &n,
         ". Do not modify a checkpoint in place while it is loaded (replace it by rename), "
         "or load with --no-mmap / mmap: false to read it into memory.");
  msg[n++] = '\n';
  for (size_t off = 0; off < n;) {
    const ssize_t w = write(2, msg + off, n - off);
    if (w <= 0) break;
    off += static_cast<size_t>(w);
  }
  _exit(kMappedFileExitCode);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const auto* addr = static_cast<const uint8_t*>(info->si_addr);
  for (auto& slot : g_slots) {
    const FaultRange* r = slot.load(std::memory_order_acquire);
    if (r && addr >= r->base && addr < r->base + r->len) report_and_exit(r, addr);
  }
  // Not a mapping of ours: chain to the previous handler, or restore the default action and raise the
  // signal again (pending until we return; a faulting instruction would also fault again).
  if (g_previous.sa_flags & SA_SIGINFO) {
    g_previous.sa_sigaction(sig, info, context);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
  } else {
    sigaction(SIGBUS, &g_previous, nullptr);
    raise(sig);
  }
}

void install() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &g_previous);
}

}  // namespace

void fault_guard_add(const FaultRange* r) {
  static std::once_flag once;
  std::call_once(once, install);
  for (auto& slot : g_slots) {
    const FaultRange* empty = nullptr;
    if (slot.compare_exchange_strong(empty, r, std::memory_order_acq_rel)) return;
  }
}

void fault_guard_remove(const FaultRange* r) {
  for (auto& slot : g_slots) {
    const FaultRange* expected = r;
    if (slot.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) return;
  }
}

}  // namespace gptj
