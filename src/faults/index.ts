/**
 * Public surface of the fault layer: plans (data), their validation, the injector, the swarm generator
 * and the atlas.
 */
export type {
  BitFlipFault,
  ClockDriftFault,
  ClockJumpFault,
  ClogFault,
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
} from './plan.ts';
export { formatEvent, formatPlan, formatTrigger } from './plan.ts';
export {
  FAULT_KINDS,
  FAULT_SCHEMA,
  NETWORK_KINDS,
  STORAGE_KINDS,
  appliedFaultKind,
  isFaultKind,
  type FieldSpec,
  type FieldType,
} from './schema.ts';
export { FaultPlanError, AREA_OPS, PLAN_LIMITS, parseEvent, parsePlan, validatePlan } from './validate.ts';
export { healAll, installFaults, type FaultInjector, type InstallOptions } from './inject.ts';
export {
  SWARM_DEFAULTS,
  formatSwarmSummary,
  swarmPlan,
  type CrashOp,
  type Range,
  type SwarmKindChoice,
  type SwarmOptions,
  type SwarmSummary,
  type SwarmTopology,
} from './swarm.ts';
export { FAULT_ATLAS, formatAtlas, type AtlasEntry, type FaultSubsystem } from './atlas.ts';
