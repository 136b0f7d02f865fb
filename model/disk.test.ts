/**
 * The simulated disk: content arithmetic and the persistence rules, checked view by view.
 * Expected values follow POSIX semantics as disk.ts states them (write/truncate act on an
 * inode; create/unlink act on the directory; fsync persists an inode's data, fsyncDir a
 * directory's entries; O_SYNC persists the inode's data when the write returns), as the
 * strict POSIX profile states them, and ext4's commit and writeback deadlines (5 s, 40 s) as
 * the file-system crash-semantics page gives them; not the model's output.
 */
import { produce, type Draft } from 'immer';
import { describe, expect, it } from 'vitest';
import {
  emptyDisk,
  forcedView,
  fileContent,
  issueOp,
  listFiles,
  powerLoss,
  truncateContent,
  writeContent,
  tick,
  type Disk,
  type FileOp,
  type IssuedOp,
  type PowerLossKeep,
} from './disk.js';
import { getFileSystem, type FileSystemName } from './filesystems.js';
import { checkKeep } from './powerloss.js';
import { checksumOf, msgRecord, tombstoneRecord, type ConsumerStateImage, type Segment } from './records.js';

// ---- Segments used below ------------------------------------------------------------------

/** subject "foo", 10-byte payload: 22 + 3 + 10 + 8 = 43 bytes. */
const m1 = msgRecord(1, 1, 0, 'foo', 0, 10);
const m2 = msgRecord(1, 2, 0, 'foo', 0, 10);
const m3 = msgRecord(1, 3, 0, 'foo', 0, 10);
const t9 = tombstoneRecord(1, 9, 0);

function odat(bytes: number, deliveredStream: number): ConsumerStateImage {
  return {
    kind: 'odat',
    bytes,
    state: { delivered: { consumerSeq: deliveredStream, streamSeq: deliveredStream }, ackFloor: { consumerSeq: 0, streamSeq: 0 }, pending: [], redelivered: [] },
  };
}

function frag(bytes: number, of: Segment['kind'], tailChecksum: string | null): Segment {
  return { kind: 'fragment', bytes, of, tailChecksum };
}

// ---- A tiny driver: issue operations through issueOp on an immer draft ----------------------

class D {
  constructor(readonly fsName: FileSystemName = 'posix') {}
  disk: Disk = emptyDisk();
  inodes: Record<string, number> = {};
  now = 0;

  private issue(op: FileOp): IssuedOp {
    let issued!: IssuedOp;
    this.disk = produce(this.disk, (d: Draft<Disk>) => {
      issued = issueOp(d, getFileSystem(this.fsName), op, this.now);
    });
    return issued;
  }

  create(path: string): IssuedOp {
    let inode = 0;
    this.disk = produce(this.disk, (d: Draft<Disk>) => {
      inode = d.nextInode;
      d.nextInode += 1;
    });
    this.inodes[path] = inode;
    return this.issue({ type: 'create', path, inode });
  }
  write(path: string, offsetBytes: number, segment: Segment, osync = false): IssuedOp {
    return this.issue({ type: 'write', path, inode: this.ino(path), offsetBytes, segment, osync });
  }
  truncate(path: string, sizeBytes: number): IssuedOp {
    return this.issue({ type: 'truncate', path, inode: this.ino(path), sizeBytes });
  }
  unlink(path: string): IssuedOp {
    return this.issue({ type: 'unlink', path, inode: this.ino(path) });
  }
  fsync(path: string): IssuedOp {
    return this.issue({ type: 'fsync', path, inode: this.ino(path) });
  }
  fsyncDir(dir: string): IssuedOp {
    return this.issue({ type: 'fsyncDir', dir });
  }
  tick(): void {
    this.disk = produce(this.disk, (d: Draft<Disk>) => tick(d, getFileSystem(this.fsName), this.now));
  }
  powerLoss(keep: PowerLossKeep): void {
    const c = checkKeep(this.fsName, this.disk, keep);
    if (c.error !== null) throw new Error(c.error);
    this.disk = produce(this.disk, (d: Draft<Disk>) => powerLoss(d, c.fates!));
  }
  private ino(path: string): number {
    const i = this.inodes[path];
    if (i === undefined) throw new Error(`test bug: no inode for ${path}`);
    return i;
  }

  cacheFile(path: string) {
    return fileContent(this.disk.cache, path);
  }
  /** What survives any power loss (unreachable inodes kept, to inspect forced data). */
  forced() {
    return forcedView(this.disk, false);
  }
  durableFile(path: string) {
    return fileContent(forcedView(this.disk), path);
  }
  /** The in-flight operations a power loss chooses among (not forced). */
  inFlightIds(): number[] {
    return this.disk.inFlight.filter((o) => !o.forced).map((o) => o.id);
  }
  /** A file made fully durable (entry and data), to build on. */
  durableBase(path: string, segments: Segment[]): void {
    this.create(path);
    let off = 0;
    for (const s of segments) {
      this.write(path, off, s);
      off += s.bytes;
    }
    this.fsync(path);
    this.fsyncDir(path.slice(0, path.lastIndexOf('/')));
  }
}

// ---- Content arithmetic ---------------------------------------------------------------------

describe('truncateContent', () => {
  it('cuts inside a record, leaving a head fragment with no checksum', () => {
    expect(truncateContent([m1, m2], 50)).toEqual([m1, frag(7, 'msg', null)]);
  });
  it('cuts on a record boundary', () => {
    expect(truncateContent([m1, m2], 43)).toEqual([m1]);
  });
  it('cuts to zero', () => {
    expect(truncateContent([m1, m2], 0)).toEqual([]);
  });
  it('keeps the content at the same size', () => {
    expect(truncateContent([m1, m2], 86)).toEqual([m1, m2]);
  });
  it('extends with zeros', () => {
    expect(truncateContent([m1, m2], 100)).toEqual([m1, m2, { kind: 'zeros', bytes: 14 }]);
  });
  it('extends an empty file with zeros', () => {
    expect(truncateContent([], 32)).toEqual([{ kind: 'zeros', bytes: 32 }]);
  });
  it('a head of a fragment keeps what it was cut from', () => {
    expect(truncateContent([frag(20, 'tombstone', 'x')], 5)).toEqual([frag(5, 'tombstone', null)]);
  });
});

describe('writeContent', () => {
  it('appends at the end', () => {
    expect(writeContent([m1], 43, m2)).toEqual([m1, m2]);
  });
  it('writes past the end, leaving a hole of zeros', () => {
    expect(writeContent([m1], 50, t9)).toEqual([m1, { kind: 'zeros', bytes: 7 }, t9]);
  });
  it('writes into an empty file at offset 0', () => {
    expect(writeContent([], 0, t9)).toEqual([t9]);
  });
  it('overwrites the middle: head fragment, the write, a tail fragment keeping the cut record checksum, the rest', () => {
    // [m1 0..43][m2 43..86][m3 86..129]; write 30 bytes at 20 covers 20..50.
    expect(writeContent([m1, m2, m3], 20, t9)).toEqual([frag(20, 'msg', null), t9, frag(36, 'msg', checksumOf(m2)), m3]);
  });
  it('a tail shorter than 8 bytes has no checksum', () => {
    // m1 0..43, write 30 at 10 covers 10..40: 3 bytes of m1 remain after it.
    expect(writeContent([m1], 10, t9)).toEqual([frag(10, 'msg', null), t9, frag(3, 'msg', null)]);
  });
  it('a tail of exactly 8 bytes is the record checksum', () => {
    // write 30 at 5 covers 5..35: the last 8 bytes of m1 remain.
    expect(writeContent([m1], 5, t9)).toEqual([frag(5, 'msg', null), t9, frag(8, 'msg', checksumOf(m1))]);
  });
  it('a tail of a fragment keeps the fragment checksum (>= 8 bytes) or loses it (< 8)', () => {
    const zeros5: Segment = { kind: 'zeros', bytes: 5 };
    expect(writeContent([frag(20, 'msg', 'ck')], 0, zeros5)).toEqual([zeros5, frag(15, 'msg', 'ck')]);
    const zeros13: Segment = { kind: 'zeros', bytes: 13 };
    expect(writeContent([frag(20, 'msg', 'ck')], 0, zeros13)).toEqual([zeros13, frag(7, 'msg', null)]);
  });
  it('a tail of a non-record image never carries a record checksum', () => {
    const old = odat(50, 7);
    const neu = odat(40, 8);
    expect(writeContent([old], 0, neu)).toEqual([neu, frag(10, 'odat', null)]);
  });
  it('an overwrite of exactly one record replaces it', () => {
    expect(writeContent([m1, m2], 43, m3)).toEqual([m1, m3]);
  });
  it('an overwrite longer than the file replaces everything', () => {
    expect(writeContent([t9], 0, m1)).toEqual([m1]);
  });
});

// ---- Persistence rules ----------------------------------------------------------------------

describe('persistence', () => {
  it('create + write: in the page cache, nothing durable', () => {
    const d = new D();
    const c = d.create('msgs/1.blk');
    const w = d.write('msgs/1.blk', 0, m1);
    expect(d.cacheFile('msgs/1.blk')).toEqual([m1]);
    expect(listFiles(d.disk.cache)).toEqual([{ path: 'msgs/1.blk', bytes: 43 }]);
    expect(d.forced()).toEqual({ entries: {}, inodes: {} });
    expect(d.inFlightIds()).toEqual([c.id, w.id]);
  });

  it('fsync of the file makes its data durable but not its directory entry', () => {
    const d = new D();
    const c = d.create('msgs/1.blk');
    d.write('msgs/1.blk', 0, m1);
    d.fsync('msgs/1.blk');
    const ino = d.inodes['msgs/1.blk']!;
    expect(d.forced().inodes[ino]).toEqual([m1]);
    expect(d.forced().entries).toEqual({});
    expect(d.durableFile('msgs/1.blk')).toBeUndefined();
    expect(listFiles(d.forced())).toEqual([]);
    expect(d.inFlightIds()).toEqual([c.id]); // only the create is left
  });

  it('fsyncDir makes the entry durable; with the earlier fsync the file is whole', () => {
    const d = new D();
    d.create('msgs/1.blk');
    d.write('msgs/1.blk', 0, m1);
    d.fsync('msgs/1.blk');
    d.fsyncDir('msgs');
    expect(d.durableFile('msgs/1.blk')).toEqual([m1]);
    expect(listFiles(d.forced())).toEqual([{ path: 'msgs/1.blk', bytes: 43 }]);
    expect(d.inFlightIds()).toEqual([]);
  });

  it('fsyncDir alone makes an empty file durable (the data write stays in flight)', () => {
    const d = new D();
    d.create('msgs/1.blk');
    const w = d.write('msgs/1.blk', 0, m1);
    d.fsyncDir('msgs');
    expect(d.durableFile('msgs/1.blk')).toEqual([]);
    expect(d.inFlightIds()).toEqual([w.id]);
  });

  it('fsyncDir of another directory persists nothing in msgs/', () => {
    const d = new D();
    const c = d.create('msgs/1.blk');
    d.fsyncDir('obs/C');
    expect(d.forced().entries).toEqual({});
    expect(d.inFlightIds()).toEqual([c.id]);
  });

  it('an fsync persists only its own inode', () => {
    const d = new D();
    d.create('msgs/1.blk');
    d.create('msgs/2.blk');
    d.write('msgs/1.blk', 0, m1);
    const w2 = d.write('msgs/2.blk', 0, m2);
    d.fsync('msgs/1.blk');
    expect(d.forced().inodes[d.inodes['msgs/1.blk']!]).toEqual([m1]);
    expect(d.forced().inodes[d.inodes['msgs/2.blk']!]).toBeUndefined();
    expect(d.disk.inFlight.filter((o) => !o.forced).map((o) => o.op.type)).toEqual(['create', 'create', 'write']);
    expect(d.inFlightIds()).toContain(w2.id);
  });

  it('an O_SYNC write persists the inode pending data ops, including an earlier truncate, and nothing else', () => {
    const d = new D();
    d.durableBase('obs/C/o.dat', [odat(50, 1)]);
    const other = d.create('obs/C/other'); // a namespace op in flight
    d.truncate('obs/C/o.dat', 0);
    const neu = odat(40, 2);
    d.write('obs/C/o.dat', 0, neu, true);
    expect(d.durableFile('obs/C/o.dat')).toEqual([neu]);
    expect(d.cacheFile('obs/C/o.dat')).toEqual([neu]);
    expect(d.inFlightIds()).toEqual([other.id]);
  });

  it('an O_SYNC write to a new file persists its data but not its directory entry', () => {
    const d = new D();
    const c = d.create('obs/C/o.dat');
    const img = odat(8, 0);
    d.write('obs/C/o.dat', 0, img, true);
    expect(d.forced().inodes[d.inodes['obs/C/o.dat']!]).toEqual([img]);
    expect(d.durableFile('obs/C/o.dat')).toBeUndefined();
    expect(d.inFlightIds()).toEqual([c.id]);
  });

  it('ext4: time forces the journalled create 5 s after issue and a write 40 s after issue; folded in issue order', () => {
    const d = new D('ext4');
    d.now = 0;
    d.create('msgs/1.blk'); // t=0, journalled
    d.now = 10;
    d.write('msgs/1.blk', 0, m1); // t=10, data
    d.now = 20;
    const w2 = d.write('msgs/1.blk', 43, m2); // t=20, data
    d.now = 5_000;
    d.tick();
    expect(d.durableFile('msgs/1.blk')).toEqual([]); // the entry: committed; the data: not yet
    d.now = 40_010;
    d.tick();
    expect(d.durableFile('msgs/1.blk')).toEqual([m1]);
    expect(d.inFlightIds()).toEqual([w2.id]);
    expect(d.cacheFile('msgs/1.blk')).toEqual([m1, m2]);
  });

  it('posix: time forces nothing', () => {
    const d = new D('posix');
    d.now = 100;
    d.create('msgs/1.blk');
    d.write('msgs/1.blk', 0, m1);
    d.now = 1e9;
    d.tick();
    expect(d.forced()).toEqual({ entries: {}, inodes: {} });
    expect(d.disk.inFlight.length).toBe(2);
  });

  describe('power loss', () => {
    /** A durable with [m1]; in flight: append m2 to A, create B, write m3 to B. */
    function setup() {
      const d = new D();
      d.durableBase('msgs/1.blk', [m1]);
      const a2 = d.write('msgs/1.blk', 43, m2);
      const cb = d.create('msgs/2.blk');
      const b1 = d.write('msgs/2.blk', 0, m3);
      return { d, a2, cb, b1 };
    }

    it('keep synced: back to the durable view only', () => {
      const { d } = setup();
      d.powerLoss({ kind: 'synced' });
      expect(listFiles(d.disk.cache)).toEqual([{ path: 'msgs/1.blk', bytes: 43 }]);
      expect(d.cacheFile('msgs/1.blk')).toEqual([m1]);
      expect(d.disk.inFlight).toEqual([]);
      expect({ entries: d.disk.cache.entries, inodes: d.disk.cache.inodes }).toEqual(d.forced());
    });

    it('keep all: the page cache as it was', () => {
      const { d } = setup();
      const before = d.disk.cache;
      d.powerLoss({ kind: 'all' });
      expect(d.disk.cache).toEqual(before);
      expect(listFiles(d.disk.cache)).toEqual([
        { path: 'msgs/1.blk', bytes: 86 },
        { path: 'msgs/2.blk', bytes: 43 },
      ]);
      expect(d.disk.inFlight).toEqual([]);
    });

    it('keep prefix 2: the append and the create, not the write into the new file', () => {
      const { d } = setup();
      d.powerLoss({ kind: 'prefix', count: 2 });
      expect(d.cacheFile('msgs/1.blk')).toEqual([m1, m2]);
      expect(d.cacheFile('msgs/2.blk')).toEqual([]);
      expect(listFiles(d.disk.cache)).toEqual([
        { path: 'msgs/1.blk', bytes: 86 },
        { path: 'msgs/2.blk', bytes: 0 },
      ]);
    });

    it('keep prefix 0 equals keep synced', () => {
      const { d } = setup();
      d.powerLoss({ kind: 'prefix', count: 0 });
      expect(listFiles(d.disk.cache)).toEqual([{ path: 'msgs/1.blk', bytes: 43 }]);
    });

    it('keep subset: the data write into a file whose create was lost is unreachable', () => {
      const { d, b1 } = setup();
      d.powerLoss({ kind: 'subset', opIds: [b1.id] });
      expect(listFiles(d.disk.cache)).toEqual([{ path: 'msgs/1.blk', bytes: 43 }]);
      expect(d.cacheFile('msgs/2.blk')).toBeUndefined();
    });

    it('keep subset: create and write of the new file, not the append', () => {
      const { d, cb, b1 } = setup();
      d.powerLoss({ kind: 'subset', opIds: [cb.id, b1.id] });
      expect(listFiles(d.disk.cache)).toEqual([
        { path: 'msgs/1.blk', bytes: 43 },
        { path: 'msgs/2.blk', bytes: 43 },
      ]);
      expect(d.cacheFile('msgs/2.blk')).toEqual([m3]);
    });

    it('a subset naming an op that is not in flight is refused', () => {
      const { d } = setup();
      expect(() => d.powerLoss({ kind: 'subset', opIds: [999] })).toThrow();
    });

    it('an unlink that is not durable comes back: the file reappears', () => {
      const d = new D();
      d.durableBase('msgs/1.blk', [m1]);
      d.unlink('msgs/1.blk');
      expect(d.cacheFile('msgs/1.blk')).toBeUndefined();
      expect(d.durableFile('msgs/1.blk')).toEqual([m1]);
      d.powerLoss({ kind: 'synced' });
      expect(d.cacheFile('msgs/1.blk')).toEqual([m1]);
    });
  });

  describe('rewrite in place (os.WriteFile: truncate, then write)', () => {
    function setup() {
      const d = new D();
      const old = odat(50, 1);
      d.durableBase('obs/C/o.dat', [old]);
      const neu = odat(40, 2);
      const tr = d.truncate('obs/C/o.dat', 0);
      const wr = d.write('obs/C/o.dat', 0, neu);
      return { d, old, neu, tr, wr };
    }

    it('the page cache shows only the new image', () => {
      const { d, neu } = setup();
      expect(d.cacheFile('obs/C/o.dat')).toEqual([neu]);
    });

    it('cut between the two (prefix 1): an empty file', () => {
      const { d } = setup();
      d.powerLoss({ kind: 'prefix', count: 1 });
      expect(d.cacheFile('obs/C/o.dat')).toEqual([]);
      expect(listFiles(d.disk.cache)).toEqual([{ path: 'obs/C/o.dat', bytes: 0 }]);
    });

    it('the write kept without the truncate: new image + tail fragment of the old image', () => {
      const { d, neu, wr } = setup();
      d.powerLoss({ kind: 'subset', opIds: [wr.id] });
      expect(d.cacheFile('obs/C/o.dat')).toEqual([neu, frag(10, 'odat', null)]);
      expect(listFiles(d.disk.cache)).toEqual([{ path: 'obs/C/o.dat', bytes: 50 }]);
    });

    it('neither kept: the old image', () => {
      const { d, old } = setup();
      d.powerLoss({ kind: 'synced' });
      expect(d.cacheFile('obs/C/o.dat')).toEqual([old]);
    });

    it('both kept: the new image', () => {
      const { d, neu, tr, wr } = setup();
      d.powerLoss({ kind: 'subset', opIds: [tr.id, wr.id] });
      expect(d.cacheFile('obs/C/o.dat')).toEqual([neu]);
    });
  });
});
