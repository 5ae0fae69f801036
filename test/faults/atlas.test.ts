import { describe, expect, it } from 'vitest';
import { FAULT_ATLAS, formatAtlas } from '../../src/faults/atlas.ts';
import { FAULT_KINDS, FAULT_SCHEMA, appliedFaultKind } from '../../src/faults/schema.ts';

describe('fault atlas', () => {
  it('describes every kind, in FAULT_KINDS order', () => {
    expect(FAULT_ATLAS.map((e) => e.kind)).toEqual(FAULT_KINDS);
  });

  it('lists exactly the parameters of the schema, each with a meaning', () => {
    for (const entry of FAULT_ATLAS) {
      expect(Object.keys(entry.params), entry.kind).toEqual(FAULT_SCHEMA[entry.kind].map((f) => f.name));
      for (const meaning of Object.values(entry.params)) expect(meaning.length).toBeGreaterThan(3);
      expect(entry.models.length).toBeGreaterThan(10);
    }
  });

  it('gives ms units to every *Ms parameter', () => {
    for (const entry of FAULT_ATLAS) {
      for (const [name, meaning] of Object.entries(entry.params)) if (name.endsWith('Ms')) expect(meaning, `${entry.kind}.${name}`).toMatch(/\bms\b/);
    }
  });

  it('prints one header line per kind', () => {
    const text = formatAtlas();
    expect(text.split('\n').filter((l) => !l.startsWith(' '))).toHaveLength(FAULT_KINDS.length);
    expect(text).toContain('tornWrite [disk]: power cut in the middle of a multi-sector write');
  });
});

describe('appliedFaultKind', () => {
  it('maps fault.<kind> records to their kind and bookkeeping records to null', () => {
    expect(appliedFaultKind('fault.crash')).toBe('crash');
    expect(appliedFaultKind('fault.linkFaults')).toBe('linkFaults');
    expect(['fault.heal', 'fault.arm', 'fault.end', 'node.crash', 'fault.'].map(appliedFaultKind)).toEqual([null, null, null, null, null]);
  });
});
