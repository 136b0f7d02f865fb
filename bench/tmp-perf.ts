import { makeConfig } from '../model/config.js';
import { initialState, step } from '../model/step.js';
import { setAutoFreeze } from 'immer';
if (process.argv[2] === 'nofreeze') setAutoFreeze(false);
const cfg = makeConfig({ retention: 'workqueue', blockSizeBytes: 100, consumers: ['C'] });
const t0 = performance.now();
let n = 0;
for (let i = 0; i < 2000; i++) {
  let s = initialState(cfg, 'v2.10.22');
  for (const e of [{type:'start'},{type:'store',subject:'foo',payloadBytes:10},{type:'deliver',consumer:'C'},{type:'advance',ms:0},{type:'ack',consumer:'C',streamSeq:1},{type:'store',subject:'foo',payloadBytes:10},{type:'advance',ms:120000}] as const) { s = step(s, e as any).state; n++; }
}
console.log(`${((performance.now()-t0)*1000/n).toFixed(1)} us/step`);
