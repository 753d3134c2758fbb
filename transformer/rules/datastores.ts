import type { RuleSet } from './types';

// Datastores: database and cache clients' query and command calls.

export const DATASTORE_RULES: RuleSet = {};
