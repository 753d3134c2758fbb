import { otelApi } from './api';
import { ACTIVE_CALL, callConfig, installInjector, outcome } from './axios';
import { callNeedsTracing, endWithError, endWithStatus, parseUrl, startClientCall, type ClientCall } from './client';
import { httpIsInstrumented } from './instrumented';
import { facadesPerSite } from './facades';
import { safely } from './safe';
import type { Site } from './site';

// @nestjs/axios' HttpService. Emitted code calls `__autotrace.nestHttp(site, this.http).get(url)`: the facade calls
// the same method on the same service and hands back an Observable that is as cold as the service's own. The CLIENT
// span starts when it is subscribed to (the service's axios call happens then, in the span's context, where the axios
// header interceptor adds trace headers) and ends on complete, error or unsubscribe.

type AnyFunction = (...args: unknown[]) => unknown;

const METHODS = ['request', 'get', 'delete', 'head', 'post', 'put', 'patch', 'postForm', 'putForm', 'patchForm'];

interface ServiceLike {
  readonly axiosRef?: AxiosRefLike;
  [method: string]: unknown;
}

interface AxiosRefLike {
  (...args: unknown[]): unknown;
  getUri?: (config?: object) => string;
}

interface Subscription {
  unsubscribe(): void;
}

interface ObservableLike {
  subscribe(observer: object): Subscription;
  constructor: new (subscribe: (subscriber: SubscriberLike) => () => void) => ObservableLike;
}

interface SubscriberLike {
  next(value: unknown): void;
  error(error: unknown): void;
  complete(): void;
}

export function nestHttp<S>(site: Site | undefined, service: S): S {
  return (safely(() => facadeFor(service as unknown as ServiceLike, site), undefined) ?? service) as S;
}

function facadeFor(service: ServiceLike, site: Site | undefined): Record<string, AnyFunction> | undefined {
  if (typeof service !== 'object' || service === null) return undefined;
  return facadeOf(service, site);
}

const facadeOf = facadesPerSite((service: ServiceLike, site: Site | undefined) => {
  const facade: Record<string, AnyFunction> = {};
  for (const method of METHODS) facade[method] = (...args: unknown[]) => traced(service, method, args, site);
  return facade;
});

function traced(service: ServiceLike, method: string, args: unknown[], site: Site | undefined): unknown {
  const source = (service[method] as AnyFunction).apply(service, args) as ObservableLike;
  const Observable = safely(() => (typeof source?.subscribe === 'function' ? source.constructor : undefined), undefined);
  if (typeof Observable !== 'function') return source;
  return safely(() => new Observable((subscriber) => subscribeInSpan(service, method, args, site, source, subscriber)), source);
}

function subscribeInSpan(
  service: ServiceLike,
  method: string,
  args: unknown[],
  site: Site | undefined,
  source: ObservableLike,
  subscriber: SubscriberLike,
): () => void {
  const call = safely(() => startCall(service, method, args, site), undefined);
  if (!call) {
    const plain = source.subscribe(subscriber);
    return () => plain.unsubscribe();
  }
  let ended = false;
  let status: unknown;
  const end = (how: () => void) => {
    if (ended) return;
    ended = true;
    how();
  };
  const inner = otelApi().context.with(call.context.setValue(ACTIVE_CALL, call), () =>
    source.subscribe({
      next: (value: unknown) => {
        status = safely(() => outcome.status(value), undefined);
        subscriber.next(value);
      },
      error: (error: unknown) => {
        end(() => {
          const errorStatus = safely(() => outcome.errorStatus?.(error), undefined);
          if (typeof errorStatus === 'number') endWithStatus(call, errorStatus);
          else endWithError(call, error, safely(() => outcome.cancelled(error, []), false));
        });
        subscriber.error(error);
      },
      complete: () => {
        end(() => endWithStatus(call, status));
        subscriber.complete();
      },
    }),
  );
  return () => {
    inner.unsubscribe();
    // After a response (firstValueFrom unsubscribes on the first value) the call is done; before one, it was the
    // caller's decision to stop, not a failure.
    end(() => (status !== undefined ? endWithStatus(call, status) : endWithError(call, undefined, true)));
  };
}

function startCall(service: ServiceLike, method: string, args: unknown[], site: Site | undefined): ClientCall | undefined {
  if (!callNeedsTracing(site)) return undefined;
  const instance = service.axiosRef;
  if (typeof instance !== 'function') return undefined;
  installInjector(instance as never);
  const config = callConfig(method, args);
  const url = parseUrl(instance.getUri?.(config));
  return startClientCall(String(config.method ?? 'get').toUpperCase(), url, site, httpIsInstrumented());
}
