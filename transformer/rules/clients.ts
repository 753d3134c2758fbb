import type { RuleSet } from './types';

// Outbound HTTP clients: the global fetch, client functions called through the runtime, client instances behind a
// traced facade, and the clients autotrace sees but does not trace yet.

const AXIOS_METHODS = ['request', 'get', 'delete', 'head', 'options', 'post', 'put', 'patch', 'postForm', 'putForm', 'patchForm'] as const;

export const CLIENT_RULES: RuleSet = {
  globalClients: [
    { client: 'fetch', global: 'fetch', callInstead: 'fetch' },
  ],
  clientCalls: [
    { client: 'undici', typesPackage: 'undici', declaredIn: ['(module)'], functions: ['fetch'], callThrough: 'undiciFetch' },
    { client: 'undici', typesPackage: 'undici', declaredIn: ['(module)'], functions: ['request'], callThrough: 'undiciRequest' },
    { client: 'node:http', typesPackage: '@types/node', declaredIn: ['http', 'https'], functions: ['request', 'get'], callThrough: 'httpRequest' },
  ],
  clientInstances: [
    { client: 'axios', typesPackage: 'axios', declaredIn: ['Axios'], methods: AXIOS_METHODS, callableIn: ['AxiosInstance', 'AxiosStatic'], wrapWith: 'axios' },
  ],
  unsupportedClients: [
    { client: 'got', modules: ['got'] },
    { client: 'node-fetch', modules: ['node-fetch'] },
    { client: 'superagent', modules: ['superagent'] },
    { client: 'ky', modules: ['ky'] },
    { client: 'needle', modules: ['needle'] },
    { client: 'request', modules: ['request', 'request-promise', 'request-promise-native'] },
    { client: 'cross-fetch', modules: ['cross-fetch', 'isomorphic-fetch'] },
    { client: 'http2', modules: ['http2', 'node:http2'], exports: ['connect'] },
    { client: 'http2', typesPackage: '@types/node', declaredIn: ['ClientHttp2Session'], methods: ['request'] },
    { client: 'undici Dispatcher', modules: ['undici'], exports: ['Pool', 'Client', 'Agent', 'BalancedPool', 'ProxyAgent', 'RetryAgent', 'EnvHttpProxyAgent', 'stream', 'pipeline', 'connect', 'upgrade'] },
    { client: 'undici Dispatcher', typesPackage: 'undici', declaredIn: ['Dispatcher'], methods: ['request', 'stream', 'pipeline', 'dispatch', 'connect', 'upgrade'] },
  ],
  tracedModules: {
    axios: { client: 'axios' },
    undici: { client: 'undici' },
  },
  valueKinds: {
    axios: { is: { typesPackage: 'axios', owner: 'AxiosStatic' }, members: { create: 'axios.create' } },
    'axios.create': { call: 'axios.instance' },
    'axios.instance': { is: { typesPackage: 'axios', owner: 'AxiosInstance' } },
    undici: { members: { fetch: 'undici.fetch', request: 'undici.request' } },
    'undici.fetch': { fn: { typesPackage: 'undici', owner: '(module)', name: 'fetch' } },
    'undici.request': { fn: { typesPackage: 'undici', owner: '(module)', name: 'request' } },
  },
  moduleKinds: {
    axios: { values: { '*': 'axios', default: 'axios' }, types: { AxiosInstance: 'axios.instance', AxiosStatic: 'axios' } },
    undici: { values: { '*': 'undici', fetch: 'undici.fetch', request: 'undici.request' } },
  },
};
