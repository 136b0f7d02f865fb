/**
 * Yield to the event loop after every test. Searches run synchronously; vitest's worker
 * reports each test to the main process over RPC and gives up on an answer after 60 s
 * ("Timeout calling onTaskUpdate"). Without a macrotask between tests the answers wait behind
 * every following synchronous test, so a file of several 30 s searches fails on a slow
 * machine although each test is well within its own timeout.
 */
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
