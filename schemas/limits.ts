/**
 * The ranges of every number (and the lengths of every string and list) that the scenario and
 * trace formats accept, chosen so the model runs any accepted file in bounded time and memory.
 * The model stores no payload bytes (sizes are numbers), so byte sizes can be large; what costs
 * time is the number of messages, deliveries and timer firings, which the work budget bounds.
 * FORMAT.md, docs/trace-format.md and the published JSON Schemas (schemas/*.json) state these.
 */

/** Largest block, payload or header size, in bytes (64 MiB: the server's own block ceiling). */
export const MAX_BYTES = 64 * 1024 * 1024;
/** Smallest block size, in bytes: one record with a short subject fits. */
export const MIN_BLOCK_SIZE_BYTES = 64;
/** Largest file size a truncation or a recorded operation may name, in bytes (1 TiB). */
export const MAX_FILE_BYTES = 2 ** 40;
/** Most messages one `store`, `skip` or `deliver` step stands for. */
export const MAX_COUNT = 10_000;
/** Most messages stored or skipped in one file (so no sequence number exceeds this). */
export const MAX_TOTAL_MSGS = 10_000;
/** Highest stream or consumer sequence a file may name: no run can assign a higher one. */
export const MAX_SEQ = MAX_TOTAL_MSGS;
/**
 * Highest sequence an ack may name: any, as the server does not check an ack against the stream
 * (`processAckMsg`), so long as the consumer's next sequence (one past it) stays exact.
 */
export const MAX_ACK_SEQ = Number.MAX_SAFE_INTEGER - 1;
/** Most deliveries asked for in one file (each delivery may rewrite the pending list). */
export const MAX_TOTAL_DELIVERIES = 1_000;
/** Longest single `advance`, in milliseconds (one year). */
export const MAX_ADVANCE_MS = 365 * 86_400_000;
/** Longest time limit (maxAgeMs, ackWaitMs, writebackMs), in milliseconds (ten years). */
export const MAX_DURATION_MS = 10 * 365 * 86_400_000;
/** Longest model time a trace may record, in milliseconds (100 years). */
export const MAX_TIME_MS = 100 * 365 * 86_400_000;
/** Shortest and longest `syncIntervalMs` (and index.db flush interval), in milliseconds. */
export const MIN_TIMER_INTERVAL_MS = 1;
export const MAX_TIMER_INTERVAL_MS = 86_400_000;
/** Most timer firings one file may cause, summed over its `advance` steps (an upper estimate). */
export const MAX_TOTAL_TIMER_FIRINGS = 100_000;
/**
 * Most timer firings × messages held: a firing (sync, index.db write) walks every block, so
 * its cost grows with the messages stored (an index.db write costs about 10 µs per message). About 10 s on one core at the limit.
 */
export const MAX_TIMER_WORK = 1_000_000;
/** Most steps in a scenario file. */
export const MAX_SCENARIO_STEPS = 1_000;
/** Most steps in a trace file (a scenario's `deleteFiles` may expand into several events). */
export const MAX_TRACE_STEPS = 10_000;
/** Most consumers of one stream. */
export const MAX_CONSUMERS = 16;
/** Longest kill point: more file operations than any step of an accepted file performs. */
export const MAX_KILL_AFTER_FILE_OPS = 1_000_000;
/**
 * Highest file-operation id a power loss may name (`keep.subset`, `keep.partial`, a trace's
 * opIds) and longest `keep.prefix`: more file operations than any accepted file performs
 * (MAX_TOTAL_MSGS stores plus MAX_TOTAL_TIMER_FIRINGS firings, each a handful of operations).
 */
export const MAX_OP_ID = 10_000_000;
/** Highest 4 KiB page number a torn write may keep (the pages of a MAX_FILE_BYTES file). */
export const MAX_PAGE = MAX_FILE_BYTES / 4096;
/** Longest name, subject, label or path, in characters. */
export const MAX_NAME_CHARS = 128;
export const MAX_SUBJECT_CHARS = 256;
export const MAX_PATH_CHARS = 256;
/** Longest free text (title, source, messages, log lines), in characters. */
export const MAX_TEXT_CHARS = 4_096;
/** Longest list a trace records in one place (file operations of a step, files, blocks, log lines). */
export const MAX_LIST_ITEMS = 100_000;
/** Largest scenario file and trace file read, in bytes. */
export const MAX_SCENARIO_FILE_BYTES = 1024 * 1024;
export const MAX_TRACE_FILE_BYTES = 256 * 1024 * 1024;
