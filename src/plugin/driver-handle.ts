import type { DependencyContainer } from 'tsyringe';
import type { CapabilityReport } from '../capabilities/capability-report.js';
import type { ForwardBatch, ForwardResult } from '../capabilities/forward-types.js';
import type { TensorRtLlmDriver } from '../driver/tensorrt-llm-driver.js';
import type { ReplicaStatus } from '../runtime/replica-status.js';
import type { DriverInstance } from './driver-contract.js';

/** The instance `create` hands a host: the driver plus the child container it owns. */
export class DriverHandle implements DriverInstance {
  private disposed = false;

  constructor(
    readonly driver: TensorRtLlmDriver,
    private readonly container: DependencyContainer,
  ) {}

  start(): Promise<CapabilityReport> {
    return this.driver.start();
  }
  capabilities(): CapabilityReport {
    return this.driver.capabilities();
  }
  forward(batch: ForwardBatch): Promise<ForwardResult[]> {
    return this.driver.forward(batch);
  }
  release(contextIds: number[]): Promise<void> {
    return this.driver.release(contextIds);
  }
  fork(parent: number, child: number, length: number): Promise<void> {
    return this.driver.fork(parent, child, length);
  }
  status(): Promise<ReplicaStatus[]> {
    return this.driver.status();
  }
  engine(): { name: string; version: string } | undefined {
    return this.driver.engine();
  }
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.driver.dispose();
    await this.container.dispose();
  }
}
