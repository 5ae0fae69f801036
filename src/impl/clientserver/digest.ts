/** The order-free digest both ends compute of a database (liveness compares a client's with the server's). */

/** An order-free digest of a database's cells (value and winning clock). */
export function digestCells(cells: ReadonlyMap<string, { colVersion: number; site: string; value: string | null }>): string {
  let h = 0x811c9dc5;
  let n = 0;
  for (const k of [...cells.keys()].sort()) {
    const c = cells.get(k)!;
    const line = `${k}\u0001${c.value ?? '\u0002'}\u0001${c.colVersion}\u0001${c.site}`;
    for (let i = 0; i < line.length; i++) h = Math.imul(h ^ line.charCodeAt(i), 0x01000193) >>> 0;
    n++;
  }
  return `${n}:${h.toString(16).padStart(8, '0')}`;
}
