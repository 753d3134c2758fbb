import type { RuleSet } from './types';

// Message brokers and RPC: producers, consumers, RPC clients and handlers.

export const MESSAGING_RULES: RuleSet = {};
