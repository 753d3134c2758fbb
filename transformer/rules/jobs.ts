import type { RuleSet } from './types';

// Job queues: BullMQ on Redis. Jobs added through a Queue or a FlowProducer are producers (a facade adds the trace
// context to each job's options); a Worker's processor, given to its constructor, is a consumer (wrapped where it is
// written). A sandboxed processor (a file path or URL run in a child process) cannot be wrapped: a black box.

export const JOB_RULES: RuleSet = {
  clientInstances: [
    { client: 'bullmq', typesPackage: 'bullmq', declaredIn: ['Queue', 'FlowProducer'], methods: ['add', 'addBulk'], callableIn: [], wrapWith: 'bullmq', kind: 'producer', destinationFromConstructor: true },
  ],
  wrappedArguments: [
    {
      kind: 'consumer',
      client: 'bullmq',
      typesPackage: 'bullmq',
      declaredIn: ['Worker'],
      on: 'construct',
      argument: 1,
      wrapWith: 'bullmqProcessor',
      destinationArgument: 0,
      textIsBlackBox: 'a sandboxed processor (a file run in a child process) cannot be wrapped in this build; its jobs get no CONSUMER span',
    },
  ],
  tracedModules: {
    bullmq: { client: 'bullmq' },
  },
  valueKinds: {
    bullmq: { members: { Queue: 'bullmq.Queue', FlowProducer: 'bullmq.FlowProducer', Worker: 'bullmq.Worker' } },
    'bullmq.Queue': { construct: 'bullmq.queue' },
    'bullmq.queue': { is: { typesPackage: 'bullmq', owner: 'Queue' } },
    'bullmq.FlowProducer': { construct: 'bullmq.flow' },
    'bullmq.flow': { is: { typesPackage: 'bullmq', owner: 'FlowProducer' } },
    'bullmq.Worker': { construct: 'bullmq.worker' },
    'bullmq.worker': { is: { typesPackage: 'bullmq', owner: 'Worker' } },
  },
  moduleKinds: {
    bullmq: {
      values: { '*': 'bullmq', Queue: 'bullmq.Queue', FlowProducer: 'bullmq.FlowProducer', Worker: 'bullmq.Worker' },
      types: { Queue: 'bullmq.queue', FlowProducer: 'bullmq.flow', Worker: 'bullmq.worker' },
    },
  },
};
