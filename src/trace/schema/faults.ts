/**
 * The fault injector's kinds (node `fault`; docs/faults.md): one `fault.<kind>` per applied fault, its
 * fields those of the plan's event (FAULT_SCHEMA, src/faults/schema.ts: the same source the plan's own
 * validation uses) plus what the injector adds, and the injector's bookkeeping records.
 */
import { CORRUPT_MODES, DISK_ERROR_CODES, FAULT_KINDS, FAULT_SCHEMA, TASK_SOURCES, type FieldType } from '../../faults/schema.ts';
import { any, arrayOf, bool, count, kind, nullable, num, oneOf, str, type JsonSchema, type KindSchema, type KindSchemas } from './dsl.ts';

const when = oneOf('before', 'after');

/** The JSON type of each fault field type (units and bounds are the plan's business). */
/** A node field that may hold a selector: the plan's selector object, or in an applied record the node it resolved to. */
const target: JsonSchema = { anyOf: [str, { type: 'object' }] };
const FIELD_JSON: Readonly<Record<FieldType, JsonSchema>> = {
  node: str,
  target,
  targets: { type: 'array', items: target, minItems: 1 },
  nodes: { type: 'array', items: str, minItems: 1 },
  bool,
  durationMs: num,
  delayMs: num,
  netDurationMs: num,
  netDelayMs: num,
  signedMs: num,
  ppm: num,
  probability: { type: 'number', minimum: 0, maximum: 1 },
  nth: { type: 'integer', minimum: 1 },
  when,
  diskErrorCode: oneOf(...DISK_ERROR_CODES),
  storageArea: oneOf('disk', 'kv'),
  storageOp: str,
  path: str,
  corruptMode: oneOf(...CORRUPT_MODES),
  taskSource: oneOf(...TASK_SOURCES),
};

/** What the injector adds to a fault's record: the operation that triggered it, its target, when. */
const TRIGGERED = { op: str, target: nullable(str), when };
/** What a fault aimed with a selector adds: field -> the selector, field -> why that node (docs/faults.md). */
const SELECTED = { selectors: { type: 'object' }, evidence: { type: 'object', additionalProperties: str } };
/** What a corrupt fault hit: a disk file (`file`) or a kv value (`store`, `key`, `at`), and where. */
const DAMAGE = { file: str, store: str, key: any, at: any, offset: count, length: count };

function faultKind(name: (typeof FAULT_KINDS)[number]): KindSchema {
  const required: Record<string, JsonSchema> = { event: count };
  const optional: Record<string, JsonSchema> = { ...TRIGGERED, ...SELECTED, ...(name === 'corrupt' ? DAMAGE : {}) };
  for (const f of FAULT_SCHEMA[name]) (f.required ? required : optional)[f.name] = FIELD_JSON[f.type];
  return kind(`a ${name} fault applied (\`event\`: its index in the plan; \`op\`, \`target\`, \`when\`: the operation that triggered it)`, required, optional);
}

export const FAULT_RECORD_KINDS: KindSchemas = {
  ...Object.fromEntries(FAULT_KINDS.map((k) => [`fault.${k}`, faultKind(k)])),
  'fault.arm': kind('a storage fault armed: it acts on the operations it matches from now on', { event: count, kind: oneOf(...FAULT_KINDS), node: str }),
  'fault.end': kind("a timed fault's duration ended", { event: count, kind: oneOf(...FAULT_KINDS) }),
  // The missed event's own fields follow (any kind's, selectors included): not closed here.
  'fault.miss': {
    ...kind('a fault that did not land: a corrupt found nothing durable to damage, or a selector named nobody when it fired (the event\'s fields, `op` when triggered, `reason`)', { event: count, kind: oneOf(...FAULT_KINDS), reason: str }),
    additionalProperties: true,
  },
  'fault.heal': kind('end of chaos: paused nodes resumed, crashed ones restarted', { resumed: arrayOf(str), restarted: arrayOf(str) }),
};
