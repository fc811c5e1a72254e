/**
 * Preloaded into the scale measurement's server (`node --require .../memStats.js dist/server.js`): every
 * 500 ms it writes the process's memory breakdown as JSON to $BENCH_MEMSTATS_FILE, so the report can say
 * what the RSS is made of (V8 heap committed vs used, external and ArrayBuffer memory, the rest native).
 */
import { writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

export interface MemStats {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** V8: committed heap (all spaces), and memory V8 allocated with malloc. */
  totalPhysical: number;
  malloced: number;
}

const file = process.env.BENCH_MEMSTATS_FILE;
if (file) {
  const write = (): void => {
    const m = process.memoryUsage();
    const v = getHeapStatistics();
    const stats: MemStats = {
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      totalPhysical: v.total_physical_size,
      malloced: v.malloced_memory,
    };
    try {
      writeFileSync(file, JSON.stringify(stats));
    } catch {
      // the bench removed the directory: nothing to report to
    }
  };
  setInterval(write, 500).unref();
}
