// Prometheus metrics (prom-client). Every counter of the process is declared here so the
// exposition in GET /metrics is one registry and names stay consistent.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

export const sipRequests = new Counter({
  name: 'pbx_sip_requests_total',
  help: 'SIP requests received, by method',
  labelNames: ['method'] as const,
  registers: [registry],
});

export const sipResponses = new Counter({
  name: 'pbx_sip_responses_total',
  help: 'SIP responses sent, by class (1xx..6xx)',
  labelNames: ['class'] as const,
  registers: [registry],
});

export const sipMalformed = new Counter({
  name: 'pbx_sip_malformed_total',
  help: 'SIP messages rejected as malformed, by reaction (the status answered, or drop)',
  labelNames: ['transport', 'reaction'] as const,
  registers: [registry],
});

export const sipScannerDropped = new Counter({
  name: 'pbx_sip_scanner_dropped_total',
  help: 'SIP requests dropped because the User-Agent is a known scanner',
  registers: [registry],
});

export const authFailures = new Counter({
  name: 'pbx_auth_failures_total',
  help: 'Digest authentication failures (wrong password or unknown user)',
  registers: [registry],
});

export const blockedSourceDrops = new Counter({
  name: 'pbx_blocked_source_drops_total',
  help: 'SIP messages dropped because their source is blocked',
  registers: [registry],
});

export const sourcesBlocked = new Counter({
  name: 'pbx_sources_blocked_total',
  help: 'Sources blocked for repeated authentication failures',
  registers: [registry],
});

export const blockedSources = new Gauge({
  name: 'pbx_blocked_sources',
  help: 'Sources currently blocked',
  registers: [registry],
});

export const registrations = new Gauge({
  name: 'pbx_registrations',
  help: 'Active registered contacts',
  registers: [registry],
});

export const callsActive = new Gauge({
  name: 'pbx_calls_active',
  help: 'Calls in progress (ringing or connected)',
  registers: [registry],
});

export const callsEnded = new Counter({
  name: 'pbx_calls_total',
  help: 'Calls ended, by disposition',
  labelNames: ['disposition'] as const,
  registers: [registry],
});

export const mediaRtpPackets = new Counter({
  name: 'pbx_media_rtp_packets_total',
  help: 'RTP packets of ended calls: received from phones (in) and relayed to them (out)',
  labelNames: ['direction'] as const,
  registers: [registry],
});

export const callSetupSeconds = new Histogram({
  name: 'pbx_call_setup_seconds',
  help: "The PBX's own share of call set-up: route = INVITE received → INVITE sent to the first terminal; answer = a terminal's 200 received → our 200 sent to the caller",
  labelNames: ['phase'] as const,
  buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
  registers: [registry],
});

export const trunkCalls = new Gauge({
  name: 'pbx_trunk_calls',
  help: 'Calls in progress through each trunk',
  labelNames: ['trunk'] as const,
  registers: [registry],
});

export const callsRefused = new Counter({
  name: 'pbx_calls_refused_total',
  help: 'New calls refused by routing, by reason (blacklisted, unknown_number, trunk_limit, number_limit, permission, no_trunk)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const trunkRegistered = new Gauge({
  name: 'pbx_trunk_registered',
  help: 'Outbound registration of a trunk that registers: 1 registered, 0 not',
  labelNames: ['trunk'] as const,
  registers: [registry],
});

export const callsForwarded = new Counter({
  name: 'pbx_calls_forwarded_total',
  help: 'Legs placed to PSTN terminals (an extension or direct line ringing a mobile through a trunk)',
  registers: [registry],
});
