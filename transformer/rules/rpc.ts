import type { RuleSet } from './types';

// RPC: gRPC on @grpc/grpc-js. A service implementation given to `server.addService(service, implementation)` is
// wrapped (a SERVER span per handler call, kind route, framework grpc). A client is traced where it is constructed:
// whatever constructor makes a `grpc.Client` (a proto-loader stub typed `ServiceClientConstructor`, a generated client
// interface extending `grpc.Client`, a subclass, `grpc.Client` itself) gets its options through the runtime, which
// adds an interceptor: every call of that client, unary or streaming, is a CLIENT span. Stubs reached only as `any`
// (`(grpc.loadPackageDefinition(def) as any).pkg.Greeter`) cannot be recognised: their calls are black boxes.

export const RPC_RULES: RuleSet = {
  wrappedArguments: [
    { kind: 'route', framework: 'grpc', typesPackage: '@grpc/grpc-js', declaredIn: ['Server'], on: { methods: ['addService'] }, argument: 1, wrapWith: 'grpcService' },
    { kind: 'client', client: 'grpc', typesPackage: '@grpc/grpc-js', declaredIn: ['Client'], on: 'construct', argument: 2, whenAbsent: true, wrapWith: 'grpcClientOptions' },
  ],
  tracedModules: {
    '@grpc/grpc-js': { framework: 'grpc', client: 'grpc' },
  },
  valueKinds: {
    grpc: { members: { Server: 'grpc.Server', Client: 'grpc.Client', makeGenericClientConstructor: 'grpc.makeClient', makeClientConstructor: 'grpc.makeClient' } },
    'grpc.Server': { construct: 'grpc.server' },
    'grpc.server': { is: { typesPackage: '@grpc/grpc-js', owner: 'Server' } },
    'grpc.Client': { construct: 'grpc.client' },
    'grpc.client': { is: { typesPackage: '@grpc/grpc-js', owner: 'Client' } },
    'grpc.makeClient': { call: 'grpc.Client' },
  },
  moduleKinds: {
    '@grpc/grpc-js': {
      values: { '*': 'grpc', Server: 'grpc.Server', Client: 'grpc.Client', makeGenericClientConstructor: 'grpc.makeClient', makeClientConstructor: 'grpc.makeClient' },
      types: { Server: 'grpc.server', Client: 'grpc.client' },
    },
  },
};
