import type { Capabilities } from './forward-types.js';

/** What the driver reports to the host: Pie's capability fields plus its own feature flags. */
export interface CapabilityReport extends Capabilities {
  supports_user_attention_mask: false;
  supports_adapters: false;
  supports_seeded_sampling: boolean;
  supports_min_p: boolean;
  /** One entry per replica (device), as each runtime reported itself. */
  replicas: { device: string; capabilities: Capabilities }[];
}

const PER_REPLICA_LIMITS = ['max_forward_tokens', 'max_forward_requests', 'total_pages', 'max_page_refs', 'max_logit_rows', 'max_prob_rows'] as const;

/**
 * Combines the replicas' reports: model facts from the first (as Pie takes them from group 0),
 * limits as the smallest across replicas so a batch that fits one fits any, and every unsupported
 * feature reported as unsupported.
 */
export function combineCapabilities(replicas: { device: string; capabilities: Capabilities }[]): CapabilityReport {
  if (replicas.length === 0) throw new Error('no replica reported capabilities');
  const first = replicas[0]!.capabilities;
  const combined: Capabilities = { ...first };
  for (const key of PER_REPLICA_LIMITS) {
    combined[key] = Math.min(...replicas.map((r) => r.capabilities[key]));
  }
  // A request may land on any replica: a sampler feature counts only when every replica has it.
  const everyReplica = (key: 'supports_seeded_sampling' | 'supports_min_p') => replicas.every((r) => r.capabilities[key] === true);
  return {
    ...combined,
    supports_seeded_sampling: everyReplica('supports_seeded_sampling'),
    supports_min_p: everyReplica('supports_min_p'),
    max_custom_mask_bytes: 0,
    max_logprob_labels: 0,
    supports_user_attention_mask: false,
    supports_adapters: false,
    replicas,
  };
}
