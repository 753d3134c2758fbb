import type * as runtime from '../../runtime/index';
import type { SqlDialect } from '../../runtime/datastores/sql-summary';

// The shapes of the rule table's rows. Each area of what autotrace traces (servers.ts, clients.ts, …) gives its rows
// as one RuleSet; index.ts joins them into the one table the visitor, recognisers and rewriters read.

/** Names exported by autotrace/runtime that emitted code calls: a rule can only name a wrapper the runtime has. */
export type RuntimeExport = Exclude<keyof typeof runtime, 'VERSION'>;

/**
 * What the report calls a call site made through a client rule: an outbound request (HTTP or RPC), a message sent or
 * a consumer registered on a broker, or a datastore query or command.
 */
export type CallSiteKind = 'client' | 'producer' | 'consumer' | 'datastore';

/**
 * A call that registers handlers: `receiver.method(...paths, ...handlers)`, or a plain function such as
 * `createServer(options, handler)`. Recognised when the checker resolves the method or function to a declaration
 * inside one of `declaredIn` (an interface, class or `declare module` block) in a file owned by `typesPackage`.
 */
export interface RegistrationRule {
  readonly framework: string;
  /** What the report calls a site of this rule: an endpoint's handler, or middleware on the way. */
  readonly kind: 'route' | 'middleware';
  /** The npm package whose declarations type the method (read from its package.json `name`). */
  readonly typesPackage: string;
  /** Interfaces, classes or ambient modules that declare the method: a look-alike declared elsewhere is never touched. */
  readonly declaredIn: readonly string[];
  readonly methods: readonly string[];
  /** Wraps each handler. */
  readonly wrapWith: RuntimeExport;
  /** Where the handlers are: function arguments after any leading path/name strings, or an options object's property. */
  readonly handlers: 'arguments' | { readonly property: string };
  /** Passes the leading path argument's literal value to the wrapper (a mount path joins the route template). */
  readonly passesMountPath?: boolean;
  /** Only when the first argument is this string literal (`server.on('request', handler)`). */
  readonly whenFirstArgument?: string;
}

/** A call or `new` that creates an application: its result is wrapped so every request gets a span, 404s included. */
export interface AppFactoryRule {
  readonly framework: string;
  /** The module a file must mention to hold such a call (a cheap filter before asking the checker). */
  readonly module: string;
  /** The package that declares the factory. */
  readonly typesPackage: string;
  /** `call` of the module's `export =` function, `new` of the named class, or a call of a class's method (Nest's). */
  readonly creates: { readonly call: 'export=' } | { readonly construct: string } | { readonly method: string; readonly of: string };
  readonly wrapWith: RuntimeExport;
}

/**
 * A call to an HTTP client function, made through the runtime with the function itself as an argument:
 * `request(url, opts)` → `__autotrace.undiciRequest(site, request, url, opts)`. Recognised by the callee's type, so
 * named, default and namespace imports all count, and a local function of the same name does not.
 */
export interface ClientCallRule {
  readonly client: string;
  readonly typesPackage: string;
  /** Ambient modules (`declare module "http"`) or `(module)` for a package's own top-level declarations. */
  readonly declaredIn: readonly string[];
  readonly functions: readonly string[];
  readonly callThrough: RuntimeExport;
  /** What its sites are in the report; default `client`. */
  readonly kind?: CallSiteKind;
}

/**
 * Calls on a client instance, made through a traced facade: `api.get(url)` → `__autotrace.axios(site, api).get(url)`
 * and `api(config)` → `__autotrace.axios(site, api)(config)`. The facade runs the real call unchanged.
 */
export interface ClientInstanceRule {
  readonly client: string;
  readonly typesPackage: string;
  /**
   * Classes or interfaces that declare the request methods; for an object type written inline in a variable's
   * declaration (node-redis' command table, `declare const _default: { … }`), that variable's name.
   */
  readonly declaredIn: readonly string[];
  readonly methods: readonly string[];
  /** Interfaces whose call signatures make the instance itself callable (`axios(config)`). */
  readonly callableIn: readonly string[];
  readonly wrapWith: RuntimeExport;
  /** What its sites are in the report, by method where they differ (`publish` a producer, `consume` a consumer); default `client`. */
  readonly kind?: CallSiteKind | Readonly<Record<string, CallSiteKind>>;
  /**
   * For brokers, by method: the arguments that name the destination (a queue, exchange or subject), for the report.
   * The string literals among them, empty ones skipped and repeats dropped, joined by `:` (RabbitMQ's
   * `publish(exchange, routingKey)`); none when any is not a literal. Its sites carry no URL template.
   */
  readonly destination?: Readonly<Record<string, readonly number[]>>;
  /**
   * The report's `destination` is the literal first argument of the `new` that made the instance, where the build
   * sees it (`const emails = new Queue('emails')`, then `emails.add(…)`).
   */
  readonly destinationFromConstructor?: boolean;
  /**
   * The majors of `typesPackage` the wrapper knows. A call whose declaration comes from another major is left as
   * written and reported as a black box naming the version; absent: every version.
   */
  readonly majors?: readonly number[];
  /**
   * Classes of `typesPackage` the wrapper does not trace although they declare the same methods (a cluster client):
   * a call on one is left as written and reported as a black box.
   */
  readonly notOn?: readonly string[];
  /** The operation a method performs (a datastore command: `hSet` → HSET), for the report and the site literal. */
  readonly operationOf?: (method: string) => string | undefined;
  /** An SQL client: how the build reads a literal query's facts (transformer/sql-facts.ts), and which driver it checks. */
  readonly sql?: SqlClient;
}

export interface SqlClient {
  readonly dialect: SqlDialect;
  /** The config object's property holding the SQL (`{ text }` for pg, `{ sql }` for mysql2). */
  readonly textProperty: string;
  /** The driver package whose installed version is checked, and the majors the runtime's facade is written for. */
  readonly driver: string;
  readonly driverMajors: readonly number[];
}

/**
 * A call or `new` one argument of which is wrapped where it is written, whatever its type: a job processor
 * (`new Worker(queue, processor, opts)`), a service implementation (`server.addService(service, implementation)`),
 * a client's options (`new Client(address, credentials, options)`). Recognised by the declaration of the signature
 * the checker resolves (a constructor, a construct signature or a method) in one of `declaredIn` (a class, interface
 * or type alias) in a file owned by `typesPackage`.
 */
export interface ArgumentRule {
  /** What its sites are in the report: an RPC handler is a route; a processor a consumer; a client a client. */
  readonly kind: 'route' | CallSiteKind;
  readonly framework?: string;
  readonly client?: string;
  readonly typesPackage: string;
  readonly declaredIn: readonly string[];
  /** `new` of the class (or of a value with the construct signature), or calls of these methods. */
  readonly on: 'construct' | { readonly methods: readonly string[] };
  /** The argument's position: it becomes `__autotrace.<wrapWith>(argument, site)`. */
  readonly argument: number;
  /** An absent argument is added (`__autotrace.<wrapWith>(void 0, site)`) when exactly the ones before it are given. */
  readonly whenAbsent?: boolean;
  readonly wrapWith: RuntimeExport;
  /** The report's `destination` is this argument's literal value (a queue name). */
  readonly destinationArgument?: number;
  /** When the argument is text (a path or URL: a sandboxed processor), the site is a black box for this reason. */
  readonly textIsBlackBox?: string;
}

/** A call to a global HTTP client function, redirected to the runtime's traced stand-in. */
export interface GlobalClientRule {
  readonly client: string;
  /** The global's name; also reached as `globalThis.<name>`. */
  readonly global: string;
  readonly callInstead: RuntimeExport;
}

/**
 * HTTP clients autotrace sees but does not trace yet: their calls are black boxes, listed in the report as unsupported.
 * Recognised by import (any call made through a binding of one of `modules`, or `new` of one of `constructs`) or, for
 * `methods`, by the declaration behind the method as for the traced clients.
 */
export interface UnsupportedClientRule {
  readonly client: string;
  readonly modules?: readonly string[];
  /** Only these named exports of the modules (a class to `new`, a function to call); default: every binding. */
  readonly exports?: readonly string[];
  readonly typesPackage?: string;
  readonly declaredIn?: readonly string[];
  readonly methods?: readonly string[];
}

/**
 * What autotrace knows of a traced module's values without a type checker: for each kind of value, the declaration
 * the checker would have resolved it to (`is`: a type in a package, matched against the rows above), what calling it,
 * `new`-ing it or reading a member gives, and the app factory it is. The import recogniser (transformer/origins.ts)
 * follows values through a file by this table alone, then asks the same rows above as the checker path does.
 */
export interface ValueKind {
  /** The type the checker would name: registration and client-instance rows declared in it apply. */
  readonly is?: { readonly typesPackage: string; readonly owner: string };
  /** A function the checker would name: client-call and registration-function rows with this name apply. */
  readonly fn?: { readonly typesPackage: string; readonly owner: string; readonly name: string };
  readonly call?: string;
  readonly construct?: string;
  readonly members?: Readonly<Record<string, string>>;
  /** Members named by a rule rather than listed (a Redis batch's thousand commands): asked by name, never listed. */
  readonly memberOf?: (name: string) => string | undefined;
  /** What `await` of it gives (a promise of a connection or channel: `await amqp.connect(url)`). */
  readonly awaited?: string;
  /** Calling (or `new`-ing) it creates an app of this framework: wrapped as the app-factory row says. */
  readonly createsApp?: string;
}

/** One area's rows of every table (servers, HTTP clients, …); index.ts joins the areas. Absent tables are empty. */
export interface RuleSet {
  readonly registrations?: readonly RegistrationRule[];
  readonly appFactories?: readonly AppFactoryRule[];
  readonly globalClients?: readonly GlobalClientRule[];
  readonly clientCalls?: readonly ClientCallRule[];
  readonly clientInstances?: readonly ClientInstanceRule[];
  readonly wrappedArguments?: readonly ArgumentRule[];
  readonly unsupportedClients?: readonly UnsupportedClientRule[];
  readonly tracedModules?: Readonly<Record<string, TracedModule>>;
  readonly valueKinds?: Readonly<Record<string, ValueKind>>;
  readonly moduleKinds?: Readonly<Record<string, ModuleKinds>>;
}

/** What a traced module serves (a framework) or calls with (a client), for black boxes that name it. */
export interface TracedModule {
  readonly framework?: string;
  readonly client?: string;
}

/** The kinds of a module's exports and of the type names it exports (see index.ts MODULE_KINDS). */
export interface ModuleKinds {
  readonly values: Readonly<Record<string, string>>;
  readonly types?: Readonly<Record<string, string>>;
}
