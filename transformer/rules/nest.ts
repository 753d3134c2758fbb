import type { RuleSet } from './types';

// NestJS (11 and 12, on Express or Fastify): the app factories and @nestjs/axios' HttpService. Routes are decorators,
// not calls: transformer/nest.ts reads them from `@Controller` classes, by the decorator names below.

/** @nestjs/common's route decorators, by the adapter method Nest registers their routes with. */
export const NEST_ROUTE_DECORATORS: Readonly<Record<string, string>> = {
  Get: 'get',
  Post: 'post',
  Put: 'put',
  Patch: 'patch',
  Delete: 'delete',
  Options: 'options',
  Head: 'head',
  All: 'all',
  Search: 'search',
  // Server-sent events are GET routes.
  Sse: 'get',
};

/** The package that declares the decorators. */
export const NEST_COMMON = '@nestjs/common';

const HTTP_SERVICE_METHODS = ['request', 'get', 'delete', 'head', 'post', 'put', 'patch', 'postForm', 'putForm', 'patchForm'] as const;

export const NEST_RULES: RuleSet = {
  appFactories: [
    // NestFactory.create(AppModule, [adapter], [options]): a promise of the app, before init() registers routes.
    { framework: 'nest', module: '@nestjs/core', typesPackage: '@nestjs/core', creates: { method: 'create', of: 'NestFactoryStatic' }, wrapWith: 'nestApp' },
    // Test.createTestingModule(...).compile() then createNestApplication(): the app e2e tests serve.
    { framework: 'nest', module: '@nestjs/testing', typesPackage: '@nestjs/testing', creates: { method: 'createNestApplication', of: 'TestingModule' }, wrapWith: 'nestApp' },
  ],
  clientInstances: [
    // Its methods return a cold Observable: the facade keeps it cold (runtime/nest-http.ts).
    { client: '@nestjs/axios', typesPackage: '@nestjs/axios', declaredIn: ['HttpService'], methods: HTTP_SERVICE_METHODS, callableIn: [], wrapWith: 'nestHttp' },
  ],
  tracedModules: {
    '@nestjs/core': { framework: 'nest' },
    '@nestjs/platform-express': { framework: 'nest' },
    '@nestjs/platform-fastify': { framework: 'nest' },
    '@nestjs/axios': { client: '@nestjs/axios' },
  },
  valueKinds: {
    'nest.factory': { members: { create: 'nest.create' } },
    'nest.create': { call: 'nest.app', createsApp: 'nest' },
    'nest.app': {},
    'nest.http': { is: { typesPackage: '@nestjs/axios', owner: 'HttpService' } },
  },
  moduleKinds: {
    '@nestjs/core': { values: { NestFactory: 'nest.factory' } },
    '@nestjs/axios': { values: {}, types: { HttpService: 'nest.http' } },
  },
};
