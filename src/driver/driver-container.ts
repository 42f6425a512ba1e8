import { type DependencyContainer, instanceCachingFactory } from 'tsyringe';
import { RequestGate } from '../capabilities/request-gate.js';
import { ReplayTracker } from '../capabilities/replay-tracker.js';
import { deviceGroups } from '../config/device-groups.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { InterpreterResolver } from '../runtime/interpreter-resolver.js';
import { type Logger, StderrLogger } from '../runtime/logger.js';
import { DriverMetrics } from '../metrics/driver-metrics.js';
import { meterProviderIn } from '../metrics/meter-provider.js';
import { ReplicaPool } from '../runtime/replica-pool.js';
import { ProcessRuntimeLauncher, type RuntimeLauncher } from '../runtime/runtime-launcher.js';
import { RuntimeSupervisor } from '../runtime/runtime-supervisor.js';
import { checkPolicy, defaultPolicy, type SupervisorPolicy } from '../runtime/supervisor-policy.js';
import type { DriverSettings } from './driver-settings.js';
import { TensorRtLlmDriver } from './tensorrt-llm-driver.js';
import { Tokens } from './tokens.js';

/** A supervisor for one replica; `device` names its group ("cuda:0" or "cuda:0,cuda:1"). */
export type SupervisorFactory = (device: string) => RuntimeSupervisor;

/**
 * A child container holding one driver instance's services. Any service already registered in the
 * parent (a host's logger, a test's fake launcher or clock) is used instead of the default.
 */
export function createDriverContainer(parent: DependencyContainer, settings: DriverSettings): DependencyContainer {
  const c = parent.createChildContainer();
  const fallback = <T>(token: symbol, provide: (c: DependencyContainer) => T) => {
    if (!c.isRegistered(token, true)) c.register(token, { useFactory: instanceCachingFactory(provide) });
  };
  c.register(Tokens.DriverSettings, { useValue: settings });
  fallback<NodeJS.ProcessEnv>(Tokens.Environment, () => process.env);
  fallback<Logger>(Tokens.Logger, () => new StderrLogger());
  fallback<Clock>(Tokens.Clock, () => systemClock);
  fallback<SupervisorPolicy>(Tokens.SupervisorPolicy, () => ({ ...defaultPolicy, maxInFlight: settings.config.options.max_concurrent_requests }));
  fallback(Tokens.InterpreterResolver, (c) => new InterpreterResolver(c.resolve(Tokens.Environment)));
  fallback<RuntimeLauncher>(Tokens.RuntimeLauncher, (c) => new ProcessRuntimeLauncher(c.resolve(Tokens.Logger)));
  // Resolved here, outside any factory, so a missing interpreter surfaces as its own typed error.
  const options = settings.config.options;
  const interpreter = c.resolve<InterpreterResolver>(Tokens.InterpreterResolver).resolve({ venv: options.venv, python: options.python, simulate: settings.simulate });
  checkPolicy(c.resolve(Tokens.SupervisorPolicy));
  fallback<SupervisorFactory>(Tokens.SupervisorFactory, (c) => {
    return (device) =>
      new RuntimeSupervisor(
        { interpreter, model: settings.model, driver: settings.config, device, simulate: settings.simulate, readyTimeoutMs: settings.readyTimeoutMs, env: settings.runtimeEnv },
        c.resolve(Tokens.RuntimeLauncher),
        c.resolve(Tokens.Logger),
        c.resolve(Tokens.Clock),
        c.resolve(Tokens.SupervisorPolicy),
      );
  });
  fallback(Tokens.ReplayTracker, () => new ReplayTracker());
  fallback(Tokens.RequestGate, (c) => new RequestGate(c.resolve(Tokens.ReplayTracker)));
  fallback(Tokens.ReplicaPool, (c) => {
    const create = c.resolve<SupervisorFactory>(Tokens.SupervisorFactory);
    // One replica per group of tensor_parallel_size × pipeline_parallel_size devices.
    const { device, tensor_parallel_size: tp, options: { pipeline_parallel_size: pp } } = settings.config;
    return new ReplicaPool(deviceGroups(device, tp, pp).map((group) => create(group.join(','))), c.resolve(Tokens.Logger));
  });
  // The host's MeterProvider (METER_PROVIDER in its container), else the global one.
  fallback(Tokens.DriverMetrics, (c) => new DriverMetrics(meterProviderIn(c), settings.model));
  fallback(Tokens.Driver, (c) => c.resolve(TensorRtLlmDriver));
  return c;
}
