// The process ends within a deadline once it starts to stop.
//
// After a fatal error the pipeline aborts, leaves the consumer group and
// returns; then the admin listener, the reload thread and librdkafka's
// handles are closed. None of that has a bound of its own: rd_kafka_destroy
// and rd_kafka_consumer_close wait for librdkafka's threads, and a fenced
// transactional producer or brokers that do not answer can keep them
// waiting (seen once beside other broker tests: a fenced instance logged its
// error and was still there 60 s later). A supervisor restarts a process
// that exits, not one that hangs, and a consumer that hangs before it leaves
// its group holds its partitions.
//
// So a deadline is armed when the pipeline first meets a fatal error, when
// SIGTERM or SIGINT arrives (the drain's own budget is shorter), and when
// Run() returns. A process still here when the earliest one passes logs
// `exit_deadline_passed` with the step it was in and ends with _exit(code),
// the code of the latest arming: nothing committed is undone, and what was
// not committed is read again by the group's next member (exactly-once: the
// open transaction is aborted by the broker, or fenced by the next
// instance).
//
// Process-wide, for `maskproxy run`. The watch thread is detached and
// touches nothing that static destruction frees.
#pragma once

#include <chrono>

namespace maskproxy::app {

// Starts the watch thread (once; later calls do nothing). Until a deadline
// is armed it only looks at it every 100 ms.
void StartExitWatch();

// Arms a deadline `after` from now: the earliest armed deadline holds, and
// the process then ends with this call's `exit_code` (the latest call's).
// Async-signal-safe (atomics only): a signal handler may call it.
void ArmExitDeadline(std::chrono::milliseconds after, int exit_code);

// Names what the process is doing now, for the log line if the deadline
// passes ("kafka_clients", ...). `step` must outlive the process: a literal.
void NoteExitStep(const char* step);

}  // namespace maskproxy::app
