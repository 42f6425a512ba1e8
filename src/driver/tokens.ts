/** Injection tokens of the driver's services, registered in a child container per driver instance. */
export const Tokens = {
  Environment: Symbol.for('pie-trtllm.Environment'),
  Logger: Symbol.for('pie-trtllm.Logger'),
  Clock: Symbol.for('pie-trtllm.Clock'),
  DriverSettings: Symbol.for('pie-trtllm.DriverSettings'),
  SupervisorPolicy: Symbol.for('pie-trtllm.SupervisorPolicy'),
  InterpreterResolver: Symbol.for('pie-trtllm.InterpreterResolver'),
  RuntimeLauncher: Symbol.for('pie-trtllm.RuntimeLauncher'),
  SupervisorFactory: Symbol.for('pie-trtllm.SupervisorFactory'),
  ReplayTracker: Symbol.for('pie-trtllm.ReplayTracker'),
  RequestGate: Symbol.for('pie-trtllm.RequestGate'),
  ReplicaPool: Symbol.for('pie-trtllm.ReplicaPool'),
  DriverMetrics: Symbol.for('pie-trtllm.DriverMetrics'),
  Driver: Symbol.for('pie-trtllm.Driver'),
} as const;
