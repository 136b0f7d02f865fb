/**
 * Makes the test fixture `traces/image/fixtures/<version>-orders/`: a store directory written
 * by a real nats-server, so the decoder (and the encoder, record by record) are tested
 * against bytes the server produced, not against our own encoder.
 *
 *   npx tsx realserver/make-fixture.ts [--server PATH]   (default: the cached v2.10.22)
 *
 * What it does to the server, which the fixture test asserts: WorkQueue stream ORDERS on
 * orders.*, durable pull consumer C (explicit ack); publishes orders.a "one", orders.b with a
 * header "Nats-Msg-Id: two" and payload "hi", orders.a "three"; C fetches 2 and acks seq 1;
 * then a clean stop (index.db written). Times are the server's and are not asserted.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, headers } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { resolveBinary } from './binaries.js';
import { makeTempDir, startServer } from './server.js';

const argv = process.argv.slice(2);
const explicit = argv[0] === '--server' ? argv[1] : undefined;
const bin = resolveBinary('v2.10.22', explicit);
const storeDir = makeTempDir('fixture-');
const server = await startServer({ binary: bin.path, storeDir });
const nc = await connect({ servers: server.url });
const jsm = await jetstreamManager(nc);
await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.*'], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
await jsm.consumers.add('ORDERS', { durable_name: 'C', ack_policy: AckPolicy.Explicit });
const js = jetstream(nc);
await js.publish('orders.a', 'one');
const h = headers();
h.set('Nats-Msg-Id', 'two');
await js.publish('orders.b', 'hi', { headers: h });
await js.publish('orders.a', 'three');
const c = await js.consumers.get('ORDERS', 'C');
const first = await c.next({ expires: 2000 });
await c.next({ expires: 2000 });
await first!.ackAck();
await nc.drain();
await server.stop();
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'traces', 'image', 'fixtures', `${bin.version}-orders`);
if (existsSync(out)) rmSync(out, { recursive: true });
cpSync(storeDir, out, { recursive: true });
console.log(`wrote ${out}`);
