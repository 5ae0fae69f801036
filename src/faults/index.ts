/**
 * Public surface of the fault layer: plans (data), their validation, the injector, the swarm generator,
 * the atlas, damage at rest, and faults placed at exact operations (for guided exploration).
 */
export type {
  BitFlipFault,
  ClockDriftFault,
  ClockJumpFault,
  ClogFault,
  CorruptFault,
  CorruptMode,
  CrashFault,
  DiskErrorCode,
  DiskErrorFault,
  FaultEvent,
  FaultKind,
  FaultPlan,
  FsyncFailFault,
  IsolateFault,
  LinkFaultsFault,
  PartitionFault,
  PauseFault,
  ResetConnectionsFault,
  RestartFault,
  ResumeFault,
  StallFault,
  Timing,
  TornWriteFault,
  Trigger,
  TriggerArea,
  NodeRef,
  NodeSelector,
  ResolvedEvent,
} from './plan.ts';
export { formatEvent, formatPlan, formatTrigger } from './plan.ts';
export {
  CORRUPT_MODES,
  FAULT_KINDS,
  FAULT_SCHEMA,
  IMMEDIATE_AREAS,
  NETWORK_KINDS,
  STORAGE_KINDS,
  appliedFaultKind,
  isFaultKind,
  type FieldSpec,
  type FieldType,
} from './schema.ts';
export { FaultPlanError, AREA_OPS, PLAN_LIMITS, parseEvent, parsePlan, parseSelector, validatePlan } from './validate.ts';
export { healAll, installFaults, type FaultInjector, type InstallOptions } from './inject.ts';
export {
  SWARM_DEFAULTS,
  formatSwarmSummary,
  swarmPlan,
  SWARM_OPT_IN_KINDS,
  SWARM_TARGET_KINDS,
  type SwarmTargets,
  type CorruptTarget,
  type TriggerOp,
  type Range,
  type SwarmKindChoice,
  type SwarmOptions,
  type SwarmSummary,
  type SwarmTopology,
} from './swarm.ts';
export { FAULT_ATLAS, formatAtlas, type AtlasEntry, type FaultSubsystem } from './atlas.ts';
export { TRIGGER_POINTS, faultAt, type OpSite, type TriggerPoint } from './place.ts';
export { damageBytes, damageValue, matchesPath } from './damage.ts';
export { SELECTORS, formatRef, formatSelector, isSelector, type Resolution, type SelectorSpec } from './select.ts';
