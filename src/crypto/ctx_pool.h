// Reusable OpenSSL contexts for the const, thread-safe crypto classes
// (AesGcm256, AesSiv, Ff1; HmacSha256 needs none). Internal to crypto/.
//
// Each instance owns a CtxPool of kSlots slots; a thread uses the slot of its
// thread number (taken once from a process-wide counter), so up to kSlots
// threads each find their own slot and never contend. A slot is taken with one
// atomic exchange; if it is busy (more threads than slots, or a reentrant
// call) the next free slot is used, and if every slot is busy a temporary
// object is made for that call and freed after it.
//
// The pool belongs to the instance, not to the thread: contexts (which hold
// key schedules) are freed, and wiped by OpenSSL, when the instance is
// destroyed, never linger in other threads after a policy reload, and cannot
// be found again by a new instance at a reused address. The memory is bounded
// by kSlots contexts per instance; a thread that exits leaves its slot to the
// next thread with the same number.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>

namespace maskproxy::crypto::internal {

// This thread's number: 0 for the first thread that asks, then 1, 2, ...
inline size_t ThisThreadNumber() {
  static std::atomic<size_t> next{0};
  thread_local const size_t number = next.fetch_add(1, std::memory_order_relaxed);
  return number;
}

template <typename T>
class CtxPool {
 public:
  static constexpr size_t kSlots = 8;

  // Exclusive use of one T until destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease(Lease&& o) noexcept : busy_(o.busy_), obj_(o.obj_), owned_(std::move(o.owned_)) {
      o.busy_ = nullptr;
      o.obj_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (busy_) busy_->store(false, std::memory_order_release);
    }
    [[nodiscard]] T* get() const { return obj_; }
    T* operator->() const { return obj_; }
    explicit operator bool() const { return obj_ != nullptr; }

   private:
    friend class CtxPool;
    std::atomic<bool>* busy_ = nullptr;
    T* obj_ = nullptr;
    std::unique_ptr<T> owned_;  // set when every slot was busy
  };

  CtxPool() = default;
  CtxPool(const CtxPool&) = delete;
  CtxPool& operator=(const CtxPool&) = delete;

  // `make` returns a std::unique_ptr<T>, null on failure; it is called the
  // first time a slot is used. An empty Lease means `make` failed.
  template <typename Make>
  [[nodiscard]] Lease Acquire(Make&& make) {
    const size_t first = ThisThreadNumber();
    Lease lease;
    for (size_t k = 0; k < kSlots; ++k) {
      Slot& s = slots_[(first + k) % kSlots];
      if (s.busy.load(std::memory_order_relaxed) || s.busy.exchange(true, std::memory_order_acquire)) continue;
      if (!s.obj) s.obj = make();
      if (!s.obj) {
        s.busy.store(false, std::memory_order_release);
        return lease;
      }
      lease.busy_ = &s.busy;
      lease.obj_ = s.obj.get();
      return lease;
    }
    lease.owned_ = make();
    lease.obj_ = lease.owned_.get();
    return lease;
  }

 private:
  struct alignas(64) Slot {
    std::atomic<bool> busy{false};
    std::unique_ptr<T> obj;
  };
  std::array<Slot, kSlots> slots_;
};

}  // namespace maskproxy::crypto::internal
