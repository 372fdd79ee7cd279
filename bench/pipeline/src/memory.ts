/** Where a service's memory goes, from the Node.js gauges on its /metrics page. */

export interface MemoryGauges {
  heapTotalMb: number | null;
  heapUsedMb: number | null;
  externalMb: number | null;
}

function gauge(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) / 1_048_576 : null;
}

export async function memoryGauges(opsPort: number): Promise<MemoryGauges | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    return {
      heapTotalMb: gauge(text, 'nodejs_heap_size_total_bytes'),
      heapUsedMb: gauge(text, 'nodejs_heap_size_used_bytes'),
      externalMb: gauge(text, 'nodejs_external_memory_bytes'),
    };
  } catch {
    return null;
  }
}
