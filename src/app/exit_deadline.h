// The process ends within a deadline once the pipeline stops.
//
// After a fatal error the pipeline aborts, leaves the consumer group and
// returns; then the admin listener, the reload thread and librdkafka's
// handles are closed. None of that has a bound of its own: rd_kafka_destroy
// waits for librdkafka's threads, and a fenced transactional producer or
// brokers that do not answer can keep it waiting (seen once beside other
// broker tests: a fenced instance logged its error and was still there 60 s
// later). A supervisor restarts a process that exits, not one that hangs,
// and a consumer that hangs before it leaves its group holds partitions.
//
// So the deadline is armed when the pipeline first meets a fatal error, and
// when Run() returns (after a clean stop too: the drain has committed what
// it could). A process still here when it passes logs
// `exit_deadline_passed` with the step it was in and ends with _exit(code):
// nothing committed is undone, and what was not committed is read again by
// the group's next member (exactly-once: the open transaction is aborted by
// the broker, or fenced by the next instance).
//
// Process-wide, for `maskproxy run`; the thread it starts is detached and
// touches nothing that static destruction frees.
#pragma once

#include <chrono>

namespace maskproxy::app {

// Arms the deadline `after` from now, ending the process with `exit_code`.
// Idempotent: a later call neither extends the first deadline nor changes
// its code, except that a failure code replaces a success (a clean stop
// whose teardown then fails still ends with a failure).
void ArmExitDeadline(std::chrono::milliseconds after, int exit_code);

// Names what the process is doing now, for the log line if the deadline
// passes ("kafka_clients", ...). `step` must outlive the process: a literal.
void NoteExitStep(const char* step);

}  // namespace maskproxy::app
